"""Buttons other modules add to the account list's bulk bar (ACC-LIST).

The bar's own action is setting and removing account flags; a module above the brokerage
— the work-order centre's batch unfreeze, for one — registers a button here at start
(``imports`` in its ``module.py``).  The button posts the ticked account numbers, as
``accounts``, with ``bulk_action`` = its code, to the module's page (with the CSRF token,
never in a URL); that page shows what it will do with them and acts only when its own
form is confirmed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise


@dataclass(frozen=True)
class BulkAction:
    code: str
    label: str | Promise
    permission: str
    url_name: str


_ACTIONS: dict[str, BulkAction] = {}


def register(action: BulkAction) -> None:
    """Add ``action`` (idempotent by code; a code may not be registered twice otherwise)."""
    existing = _ACTIONS.get(action.code)
    if existing is not None and existing != action:
        raise ValueError(f"list bulk action {action.code!r} is registered already")
    _ACTIONS[action.code] = action


def for_user(user: Any) -> list[BulkAction]:
    """The registered actions ``user`` may use, in registration order."""
    return [a for a in _ACTIONS.values() if user.has_permission(a.permission)]
