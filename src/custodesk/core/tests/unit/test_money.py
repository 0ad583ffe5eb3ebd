from decimal import Decimal

import pytest

from custodesk.core.errors import ValidationFailed
from custodesk.core.money import MAX_MINOR, Money, check_currency, minor_units


def test_minor_units_follow_iso_4217():
    assert minor_units("HKD") == 2
    assert minor_units("CNY") == 2
    assert minor_units("JPY") == 0


def test_from_decimal_is_exact():
    assert Money.from_decimal("1234.56", "HKD") == Money(123456, "HKD")
    assert Money.from_decimal(Decimal("0.1"), "USD").minor == 10
    assert Money.from_decimal("100", "JPY") == Money(100, "JPY")


def test_excess_precision_is_refused_not_rounded():
    with pytest.raises(ValidationFailed) as exc:
        Money.from_decimal("1.005", "HKD")
    assert exc.value.errors[0].field == "amount"
    assert exc.value.errors[0].rule == "max_decimal_places"


def test_floats_are_not_money():
    with pytest.raises(TypeError):
        Money.from_decimal(0.1, "HKD")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money(1.5, "HKD")  # type: ignore[arg-type]


def test_garbage_names_the_field():
    with pytest.raises(ValidationFailed) as exc:
        Money.from_decimal("12,3x", "HKD", field="deposit.amount")
    assert exc.value.errors[0].field == "deposit.amount"


def test_round_trip_and_arithmetic():
    a = Money.from_decimal("10.10", "CNY")
    b = Money.from_decimal("0.90", "CNY")
    assert (a + b).to_decimal() == Decimal("11.00")
    assert (a - b).minor == 920
    assert str(Money(123456789, "HKD")) == "1,234,567.89 HKD"
    with pytest.raises(ValueError):
        a + Money(1, "HKD")


def test_supported_currencies():
    assert check_currency("USD") == "USD"
    with pytest.raises(ValidationFailed) as exc:
        check_currency("EUR")
    assert exc.value.errors[0].rule == "supported_currency"


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("1e999999999", "decimal"),  # an exponent: not a decimal string (it overflowed)
        (Decimal("1e999999999"), "max_amount"),  # as a form's DecimalField parses it
        (Decimal("1e-999999999"), "max_decimal_places"),
        ("9" * 5000, "max_amount"),
        ("92233720368547758.08", "max_amount"),  # one minor unit past BIGINT
        ("١٢", "decimal"),  # other scripts' digits, which Decimal() reads
        ("１", "decimal"),
        ("1_000", "decimal"),
        ("Infinity", "decimal"),
        (" 1 000", "decimal"),
    ],
)
def test_amounts_beyond_the_bounds_are_field_errors_never_overflows(value, rule):
    with pytest.raises(ValidationFailed) as exc:
        Money.from_decimal(value, "HKD")
    assert [(e.field, e.rule) for e in exc.value.errors] == [("amount", rule)]


def test_the_largest_amount_is_bigints():
    assert Money.from_decimal("92233720368547758.07", "HKD").minor == MAX_MINOR
    assert Money.from_decimal("00012.100", "HKD").minor == 1210  # zeros carry no precision
    assert Money.from_decimal(Decimal("1.2E+3"), "HKD").minor == 120000
