from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from custodesk.core.apiauth import actor, auth

from . import notes

router = Router(tags=["Sample module"], auth=auth)


class NotesOut(Schema):
    ticks: int
    seeded: list[str]


@router.get("/notes", response=NotesOut, operation_id="sample_notes")
def get_notes(request: HttpRequest) -> dict[str, object]:
    return notes.notes(actor=actor(request))
