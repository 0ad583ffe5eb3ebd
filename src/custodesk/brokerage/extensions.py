"""What other modules add to the brokerage's console pages, without the brokerage
importing them: tabs of the client and account detail (ACC-DETAIL) and buttons of the
account list's bulk bar (ACC-LIST).  A module above the brokerage registers them at
start (``imports`` in its ``module.py``) — the work-order centre's message records tab
and its batch unfreeze button, for instance.  Each is shown to a user holding its
permission, in registration order.

* A **tab**'s loader gets the viewer, the client and the account chosen (or None) and
  returns its template's context.
* A **bulk action** posts the ticked account numbers, as ``accounts``, with
  ``bulk_action`` = its code, to its page (with the CSRF token, never in a URL); that
  page shows what it will do with them and acts only when its own form is confirmed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from django.utils.functional import Promise

Loader = Callable[[Any, Any, Any], dict[str, Any]]


@dataclass(frozen=True)
class Tab:
    code: str
    label: str | Promise
    permission: str
    template: str
    load: Loader


@dataclass(frozen=True)
class BulkAction:
    code: str
    label: str | Promise
    permission: str
    url_name: str


class _Extension(Protocol):
    @property
    def code(self) -> str: ...


E = TypeVar("E", bound=_Extension)
_TABS: dict[str, Tab] = {}
_BULK_ACTIONS: dict[str, BulkAction] = {}


def _register(store: dict[str, E], item: E) -> E:
    """Idempotent by code; another item under a code already taken is refused."""
    existing = store.get(item.code)
    if existing is not None and existing != item:
        raise ValueError(f"{type(item).__name__} {item.code!r} is registered already")
    store[item.code] = item
    return item


def register_tab(tab: Tab) -> Tab:
    return _register(_TABS, tab)


def register_bulk_action(action: BulkAction) -> BulkAction:
    return _register(_BULK_ACTIONS, action)


def tabs_for(user: Any) -> list[Tab]:
    return [t for t in _TABS.values() if user.has_permission(t.permission)]


def bulk_actions_for(user: Any) -> list[BulkAction]:
    return [a for a in _BULK_ACTIONS.values() if user.has_permission(a.permission)]
