"""Audit jobs (django-tasks): each takes no arguments and calls one service."""

from __future__ import annotations

from django_tasks import task

from custodesk.core import clock

from . import services


@task()
def anchor_chain() -> int:
    """Write the chain head to the anchor log outside the database; the sequence
    number anchored (0: nothing new to anchor)."""
    anchor = services.anchor_head(now=clock.now())
    return 0 if anchor is None else int(anchor.fields["seq"])
