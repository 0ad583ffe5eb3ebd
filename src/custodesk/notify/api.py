"""The outbox's API (staff): message records (keyset pages), one message, retry now and
give up (audited).  Secrets never appear: the text is shown with them masked."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Query, Router

from custodesk.core import clock
from custodesk.core.apiauth import actor, auth

from . import selectors, services
from .schemas import (
    OutboxFilters,
    OutboxMessageDetailOut,
    OutboxMessagePage,
    OutboxReasonIn,
)

router = Router(auth=auth, tags=["outbox"])


@router.get("/messages", response=OutboxMessagePage)
def list_messages(request: HttpRequest, filters: Query[OutboxFilters]) -> Any:
    """Message records, newest first.  Keyset pagination: pass ``after`` = the previous
    page's ``next_after``."""
    f = filters.dict(exclude_none=True)
    rows = selectors.messages(
        actor=actor(request), filters=f, limit=filters.limit, after=filters.after
    )
    now = clock.now()
    return {
        "items": [selectors.message_row(m, now=now) for m in rows],
        "next_after": rows[-1].public_id if len(rows) == filters.limit else None,
    }


@router.get("/messages/{message_id}", response=OutboxMessageDetailOut)
def get_message(request: HttpRequest, message_id: UUID) -> Any:
    msg = selectors.message_get(actor=actor(request), public_id=message_id)
    return selectors.message_detail(msg, now=clock.now())


@router.post("/messages/{message_id}/retry", response=OutboxMessageDetailOut)
def retry_message(request: HttpRequest, message_id: UUID, payload: OutboxReasonIn) -> Any:
    """Try a failed or given-up message again now (audited)."""
    msg = services.message_retry(
        actor=actor(request), message_id=message_id, reason=payload.reason, now=clock.now()
    )
    return selectors.message_detail(msg, now=clock.now())


@router.post("/messages/{message_id}/give-up", response=OutboxMessageDetailOut)
def give_up_message(request: HttpRequest, message_id: UUID, payload: OutboxReasonIn) -> Any:
    """Stop trying a pending or failed message; its secrets are blanked (audited)."""
    msg = services.message_give_up(
        actor=actor(request), message_id=message_id, reason=payload.reason, now=clock.now()
    )
    return selectors.message_detail(msg, now=clock.now())
