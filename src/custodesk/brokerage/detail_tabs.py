"""Tabs other modules add to the client and account detail page (ACC-DETAIL).

The brokerage's own tabs (assets, operations, devices, agents, related) are built in; a
module above it — the work-order centre's message records, for one — registers a tab
here at start (``imports`` in its ``module.py``) instead of the brokerage importing it.
A tab is shown to a user who holds its permission; its loader gets the viewer, the
client and the account chosen (or None) and returns the template's context.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise

Loader = Callable[[Any, Any, Any], dict[str, Any]]


@dataclass(frozen=True)
class Tab:
    code: str
    label: str | Promise
    permission: str
    template: str
    load: Loader


_TABS: dict[str, Tab] = {}


def register(tab: Tab) -> None:
    """Add ``tab`` (idempotent by code; a code may not be registered twice otherwise)."""
    existing = _TABS.get(tab.code)
    if existing is not None and existing != tab:
        raise ValueError(f"detail tab {tab.code!r} is registered already")
    _TABS[tab.code] = tab


def for_user(user: Any) -> list[Tab]:
    """The registered tabs ``user`` may see, in registration order."""
    return [t for t in _TABS.values() if user.has_permission(t.permission)]
