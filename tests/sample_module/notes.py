"""The module's one piece of state, kept in memory (a real module has models)."""

from __future__ import annotations

import datetime as dt

from custodesk.core import access

from . import permissions as perms

# what the periodic job and the demo step left behind, newest last
TICKS: list[dt.datetime] = []
SEEDED: list[str] = []


def notes(*, actor: access.Principal) -> dict[str, object]:
    """A selector: scoped by the actor's permission, like every read."""
    access.require(actor, perms.NOTE_VIEW)
    return {"ticks": len(TICKS), "seeded": list(SEEDED)}
