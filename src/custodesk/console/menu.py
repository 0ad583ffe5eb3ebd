"""The console's left menu, built from what the user may do.

Each module registers its entries (usually in its ``console.py``, imported by
``custodesk.console.urls``); an entry shows only to users holding its
permission.  Sections follow the manuals' menu paths (帳戶管理 → …, 资金存管 → …).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse
from django.utils.functional import Promise


@dataclass
class MenuItem:
    label: str | Promise
    url_name: str
    permission: str | None  # None: every signed-in user
    order: int = 100


@dataclass
class MenuSection:
    key: str
    label: str | Promise
    order: int
    items: list[MenuItem] = field(default_factory=list)


_sections: dict[str, MenuSection] = {}


def section(key: str, label: str | Promise, order: int) -> MenuSection:
    if key not in _sections:
        _sections[key] = MenuSection(key, label, order)
    return _sections[key]


def register(section_key: str, item: MenuItem) -> None:
    sec = _sections[section_key]
    if all(i.url_name != item.url_name for i in sec.items):
        sec.items.append(item)


def build(user: Any, current_path: str) -> list[dict[str, Any]]:
    out = []
    for sec in sorted(_sections.values(), key=lambda s: s.order):
        items = []
        for item in sorted(sec.items, key=lambda i: i.order):
            if item.permission is None or user.has_permission(item.permission):
                url = reverse(item.url_name)
                active = current_path == url or (
                    url != "/console/" and current_path.startswith(url)
                )
                items.append({"label": item.label, "url": url, "active": active})
        if items:
            out.append({"label": sec.label, "items": items})
    return out
