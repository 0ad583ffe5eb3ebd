"""Money: integer minor units plus an ISO 4217 currency.

Amounts are stored and summed as integers (``BigIntegerField``); ``Decimal`` is
used only at the edges (API strings, forms, display), and converting a decimal
with more places than the currency has is an error, never a silent rounding.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from babel.numbers import format_currency, get_currency_precision, list_currencies

from .errors import ValidationFailed

# The currencies the product books today.  Any ISO 4217 code Babel knows can be
# added here; minor units come from CLDR (JPY 0, HKD 2, ...).
SUPPORTED_CURRENCIES = ("CNY", "HKD", "USD")
_KNOWN = frozenset(list_currencies())


def minor_units(currency: str) -> int:
    if currency not in _KNOWN:
        raise ValidationFailed.single(
            "currency", "iso4217", f"{currency!r} is not an ISO 4217 code"
        )
    return int(get_currency_precision(currency))


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
        """Parse a decimal amount; refuses floats and excess precision."""
        if isinstance(value, float):
            raise TypeError("floats are not money")
        try:
            dec = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValidationFailed.single(field, "decimal", "Enter a decimal number") from None
        if not dec.is_finite():
            raise ValidationFailed.single(field, "decimal", "Enter a decimal number")
        places = minor_units(currency)
        scaled = dec.scaleb(places)
        if scaled != scaled.to_integral_value():
            raise ValidationFailed.single(
                field, "max_decimal_places", f"{currency} has {places} decimal places at most"
            )
        return cls(int(scaled), currency)

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
