"""The console's branch picker (REG-IND "查询收款行": bank → province → city → keyword):
plain data for ``banks/_branch_picker.html``, from the picker's own query parameters.

A form includes it with ``{% load banks %}{% branch_picker "branch_code" %}`` (the
inclusion tag in ``templatetags/banks.py``); its inputs refresh it through htmx
(``console:banks_branch_picker``) and the chosen branch is posted with the form as
``<field>`` (the branch code) and ``<field>_bank`` (the bank code)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.utils.translation import get_language

from . import selectors

SHOWN = 20
FIELD_RE = re.compile(r"[a-z][a-z0-9_]{0,39}")


def field_name(value: str | None, default: str = "branch_code") -> str:
    return value if value and FIELD_RE.fullmatch(value) else default


def _clean(value: Any, limit: int) -> str:
    text = str(value or "").strip()[:limit]
    return "".join(ch for ch in text if ch.isprintable())


def context(field: str, data: Mapping[str, Any], *, selected: str = "") -> dict[str, Any]:
    """What the picker shows for the filters in ``data`` (``<field>_bank``,
    ``<field>_province``, ``<field>_city``, ``<field>_q``, and ``<field>`` chosen)."""
    bank = _clean(data.get(f"{field}_bank"), 8)
    province = _clean(data.get(f"{field}_province"), 32)
    city = _clean(data.get(f"{field}_city"), 32)
    q = _clean(data.get(f"{field}_q"), 30)
    chosen_code = _clean(data.get(field) or selected, 16)
    chosen = selectors.branch(chosen_code) if chosen_code else None
    if chosen is not None and not bank:
        bank = chosen.bank.code
    traditional = (get_language() or "").lower() in ("zh-hant", "zh_hant")
    banks = [
        {"code": b.code, "name": b.name_hant if traditional else b.name_hans}
        for b in selectors.banks()
    ]
    if bank and bank not in {b["code"] for b in banks}:
        bank = ""
    provinces = selectors.provinces(bank_code=bank or None)
    cities: list[str] = next(
        (list(p["cities"]) for p in provinces if p["province"] == province),
        [],
    )
    if province and not cities:
        province = ""
    if city not in cities:
        city = ""
    results: list[Any] = []
    more = False
    if bank or province or q:
        found = selectors.branch_search(
            bank_code=bank or None,
            province=province or None,
            city=city or None,
            keyword=q or None,
            limit=SHOWN + 1,
        )
        more = len(found) > SHOWN
        results = found[:SHOWN]
    rows = [_row(b) for b in results]
    if chosen is not None and chosen.code not in {r["code"] for r in rows}:
        rows.insert(0, _row(chosen))
    return {
        "field": field,
        "bank": bank,
        "province": province,
        "city": city,
        "q": q,
        "chosen": chosen.code if chosen else "",
        "banks": banks,
        "provinces": [p["province"] for p in provinces],
        "cities": cities,
        "rows": rows,
        "more": more,
        "searched": bool(bank or province or q),
        "shown": SHOWN,
    }


def _row(b: Any) -> dict[str, str]:
    return {
        "code": b.code,
        "name": b.name,
        "bank": b.bank.code,
        "place": f"{b.province} {b.city}" if b.province != b.city else b.city,
        "address": b.address,
    }
