"""The console's left menu, built from what the user may do.

Each module declares its sections and entries in its ``module.py`` (``menu=``, see
``custodesk.core.modules``); an entry shows only to users holding its permission, and
only to users of the organisation kinds it names (``kinds``, None: every kind).
Sections follow the manuals' menu paths (帳戶管理 → …, 资金存管 → …).
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from custodesk.core import modules


def build(user: Any, current_path: str) -> list[dict[str, Any]]:
    sections, all_items = modules.menu()
    kind = user.organisation.kind
    out = []
    for sec in sections:
        items = []
        for item in all_items:
            if item.section != sec.key or (item.kinds is not None and kind not in item.kinds):
                continue
            if item.permission is None or user.has_permission(item.permission):
                url = reverse(item.url_name)
                active = current_path == url or (
                    url != "/console/" and current_path.startswith(url)
                )
                items.append({"label": item.label, "url": url, "active": active})
        if items:
            out.append({"label": sec.label, "items": items})
    return out
