from __future__ import annotations

import pytest

from custodesk.brokerage import idcheck
from custodesk.brokerage.services import numbers


@pytest.mark.parametrize(
    "value", ["A123456(3)", "E364912(5)", "D288754(2)", "AB987654(3)", "AB123456(9)"]
)
def test_hkid_vectors_of_the_domain_notes(value):
    assert idcheck.normalise_hkid(value) == value
    assert idcheck.normalise_hkid(value.replace("(", " ").replace(")", "").lower()) == value


@pytest.mark.parametrize("value", ["A123456(4)", "A12345(6)", "1234567(8)", "ABC123456(7)", ""])
def test_hkid_refused(value):
    assert idcheck.normalise_hkid(value) is None


def test_check_char_ten_is_a():
    # remainder 1 gives 10, written 'A' (a public JS implementation gets this wrong)
    found = next(
        d for d in (f"{n:06d}" for n in range(1000)) if idcheck.hkid_check_char("C", d) == "A"
    )
    assert idcheck.normalise_hkid(f"C{found}(A)") == f"C{found}(A)"


def test_waterfall_rules():
    _n, _p, errors = idcheck.check_id(
        kind="individual",
        id_type="national_id",
        id_number="X1234",
        issuing_place="HK",
        nationality="HK",
    )
    assert ("id_type", "waterfall") in {(e.field, e.rule) for e in errors}
    _n, place, errors = idcheck.check_id(
        kind="individual", id_type="hkid", id_number="a123456(3)", issuing_place="", nationality=""
    )
    assert (place, errors) == ("HK", [])
    number, _p, errors = idcheck.check_id(
        kind="corporate",
        id_type="business_registration",
        id_number="12345678-001",
        issuing_place="HK",
        nationality="HK",
    )
    assert errors == [] and number == "12345678-001"


def test_numbers_check_digit_catches_single_digit_typos():
    number = numbers.with_check_digit(10_000_123)
    assert numbers.is_valid(numbers.ACCOUNT, number)
    for i in range(len(number)):
        for d in "0123456789":
            typo = number[:i] + d + number[i + 1 :]
            if typo != number:
                assert not numbers.is_valid(numbers.ACCOUNT, typo)
