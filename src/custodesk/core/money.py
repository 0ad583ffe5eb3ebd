"""Money: integer minor units plus an ISO 4217 currency.

Amounts are stored and summed as integers (``BigIntegerField``); ``Decimal`` is
used only at the edges (API strings, forms, display), and converting a decimal
with more places than the currency has is an error, never a silent rounding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from babel.numbers import format_currency, get_currency_precision, list_currencies
from django.utils.translation import gettext_lazy as _

from .errors import ValidationFailed

# The currencies the product books today.  Any ISO 4217 code Babel knows can be
# added here; minor units come from CLDR (JPY 0, HKD 2, ...).
SUPPORTED_CURRENCIES = ("CNY", "HKD", "USD")
_KNOWN = frozenset(list_currencies())

# The largest amount (and account counter) a BIGINT column holds, in minor units.
MAX_MINOR = 2**63 - 1
_MAX_DIGITS = AMOUNT_DIGITS = len(str(MAX_MINOR))  # 19: a form's DecimalField max_digits
# A decimal string as the API and the console take it: ASCII digits only (no exponent,
# ``_``, or other scripts' digits, which ``Decimal`` would all accept).
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def minor_units(currency: str) -> int:
    if currency not in _KNOWN:
        raise ValidationFailed.single(
            "currency", "iso4217", f"{currency!r} is not an ISO 4217 code"
        )
    return int(get_currency_precision(currency))


# The most decimal places of a supported currency: what an amount string may carry.
AMOUNT_PLACES = max(minor_units(c) for c in SUPPORTED_CURRENCIES)


def check_currency(currency: str, field: str = "currency") -> str:
    if currency not in SUPPORTED_CURRENCIES:
        raise ValidationFailed.single(
            field,
            "supported_currency",
            f"Currency must be one of {', '.join(SUPPORTED_CURRENCIES)}",
        )
    return currency


@dataclass(frozen=True, slots=True)
class Money:
    minor: int
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.minor, bool) or not isinstance(self.minor, int):
            raise TypeError("Money.minor must be an int (minor units)")
        minor_units(self.currency)

    @classmethod
    def from_decimal(
        cls, value: Decimal | str | int, currency: str, field: str = "amount"
    ) -> Money:
        """Parse a decimal amount; refuses floats, excess precision and amounts beyond
        :data:`MAX_MINOR` minor units — without arithmetic on the decimal's exponent, so
        ``1e999999999`` or a 5,000-digit number is an error, never an overflow."""
        if isinstance(value, float):
            raise TypeError("floats are not money")
        if isinstance(value, str):
            text = value.strip()
            if not _DECIMAL.fullmatch(text):
                raise ValidationFailed.single(field, "decimal", "Enter a decimal number")
            value = Decimal(text)
        try:
            dec = Decimal(value)
        except (InvalidOperation, TypeError, ValueError):
            raise ValidationFailed.single(field, "decimal", "Enter a decimal number") from None
        if not dec.is_finite():
            raise ValidationFailed.single(field, "decimal", "Enter a decimal number")
        places = minor_units(currency)
        sign, digit_tuple, exponent = dec.as_tuple()
        assert isinstance(exponent, int)  # finite
        digits = "".join(map(str, digit_tuple)).lstrip("0")
        stripped = digits.rstrip("0")  # trailing zeros say nothing about precision
        exponent += len(digits) - len(stripped)
        if stripped and exponent < -places:
            raise ValidationFailed.single(
                field, "max_decimal_places", f"{currency} has {places} decimal places at most"
            )
        if stripped and len(stripped) + exponent + places > _MAX_DIGITS:
            raise ValidationFailed.single(field, "max_amount", _("The amount is too large."))
        minor = int(stripped or "0") * 10 ** (exponent + places) if stripped else 0
        if minor > MAX_MINOR:
            raise ValidationFailed.single(field, "max_amount", _("The amount is too large."))
        return cls(-minor if sign else minor, currency)

    def to_decimal(self) -> Decimal:
        places = minor_units(self.currency)
        return (
            Decimal(self.minor)
            .scaleb(-places)
            .quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
        )

    def __str__(self) -> str:
        return f"{self.to_decimal():,} {self.currency}"

    def format(self, locale: str = "en") -> str:
        return format_currency(self.to_decimal(), self.currency, locale=locale.replace("-", "_"))

    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise ValueError(f"currency mismatch: {self.currency} vs {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor - other.minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)
