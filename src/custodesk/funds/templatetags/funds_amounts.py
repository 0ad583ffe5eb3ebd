"""``amount``: a Decimal amount with thousands separators and its own decimals."""

from decimal import Decimal
from typing import Any

from django import template

register = template.Library()


@register.filter
def amount(value: Any) -> str:
    if value is None or value == "":
        return ""
    return f"{Decimal(str(value)):,}"
