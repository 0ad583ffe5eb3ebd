"""Ledger jobs (django-tasks): each takes no arguments and calls one service."""

from __future__ import annotations

import logging

from django_tasks import task

from custodesk.core import clock

from . import anchors, errors, services

logger = logging.getLogger(__name__)


@task()
def seal_transfers() -> int:
    """Chain the transfers booked since the last checkpoint (off the booking path)."""
    try:
        s = services.seal(now=clock.now())
    except errors.SealDeferred as exc:
        logger.warning("ledger seal deferred: %s", exc.detail)
        return 0
    return 0 if s is None else s.count


@task()
def expire_holds_and_freezes() -> dict[str, int]:
    holds = services.expire_pending(now=clock.now(), business_date=clock.business_date())
    freezes = services.release_expired_freezes(now=clock.now())
    return {"holds": holds, "freezes": freezes}


@task()
def anchor_seals() -> int:
    """Write the latest seal to the anchor log outside the database; its id (0: nothing
    new to anchor)."""
    anchor = anchors.anchor_latest_seal(now=clock.now())
    return 0 if anchor is None else int(anchor.fields["seal"])
