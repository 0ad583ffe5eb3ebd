"""Template filters for ledger amounts: integer minor units → "1,234.56 HKD".

Decimal only (never float): the minor units go through ``core.money.Money``, which
knows each currency's decimal places, and Python's ``,`` format adds the thousands
separators (the same in English, Traditional and Simplified Chinese).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

from custodesk.core.errors import ValidationFailed
from custodesk.core.money import Money

register = template.Library()

DASH = "—"


def to_decimal(minor: Any, currency: str) -> Decimal | None:
    """Minor units → Decimal in the currency's places; None when it cannot be read."""
    if isinstance(minor, bool) or not isinstance(minor, int):
        return None
    try:
        return Money(minor, currency).to_decimal()
    except ValidationFailed:  # not an ISO 4217 code (e.g. a refused request's currency)
        return None


@register.filter
def amount(minor: Any, currency: str) -> str:
    """``{{ minor|amount:currency }}`` → "1,234.56" (no currency code)."""
    if minor is None or minor == "":
        return DASH
    dec = to_decimal(minor, currency)
    return f"{dec:,}" if dec is not None else str(minor)


@register.filter
def money(minor: Any, currency: str) -> str:
    """``{{ minor|money:currency }}`` → "1,234.56 HKD"."""
    if minor is None or minor == "":
        return DASH
    return f"{amount(minor, currency)} {currency}".strip()
