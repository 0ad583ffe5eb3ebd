"""Card authentication: the embedded verifier's documented outcomes, the format rules
and the pluggable adapter."""

from __future__ import annotations

import pytest
from django.test import override_settings

from custodesk.banks import services
from custodesk.banks.services import CardCheck, luhn_ok, verify_card
from custodesk.core.errors import ValidationFailed

pytestmark = pytest.mark.django_db

PERSON = {
    "name": "张伟",
    "id_type": "cn_ric",
    "id_number": "11010519491231002X",
    "phone": "13800138000",
    "bank_code": "308",
}


@pytest.mark.parametrize(
    ("last", "reason"),
    [
        ("0", ""),
        ("1", "card_name_mismatch"),
        ("2", "card_id_mismatch"),
        ("3", "card_phone_mismatch"),
        ("4", "card_frozen"),
        ("5", "card_not_supported"),
        ("6", ""),
        ("7", ""),
        ("8", ""),
        ("9", ""),
    ],
)
def test_the_last_digit_decides(last: str, reason: str) -> None:
    check = verify_card(card_number="622588270896580" + last, **PERSON)
    assert check == CardCheck(ok=not reason, reason=reason)
    assert bool(check.message) == bool(reason)


@pytest.mark.parametrize(
    ("changes", "field", "rule"),
    [
        ({"card_number": "622588270896580"}, "card_number", "pattern"),  # 15 digits
        ({"card_number": "62258827089658081234"}, "card_number", "pattern"),  # 20 digits
        ({"card_number": "6225 8827 0896 5808"}, "card_number", "pattern"),
        ({"card_number": "６２２５８８２７０８９６５８０８"}, "card_number", "pattern"),
        ({"bank_code": "999"}, "bank_code", "unknown"),
        ({"name": "  "}, "name", "required"),
        ({"id_number": ""}, "id_number", "required"),
        ({"phone": "not a phone"}, "phone", "pattern"),
    ],
)
def test_bad_input_names_the_field(changes: dict[str, str], field: str, rule: str) -> None:
    args = {**PERSON, "card_number": "6225882708965808", **changes}
    with pytest.raises(ValidationFailed) as err:
        verify_card(**args)
    assert (field, rule) in {(e.field, e.rule) for e in err.value.errors}


def test_nineteen_digit_cards_are_accepted() -> None:
    assert verify_card(card_number="6217000010000000008", **PERSON).ok


class AlwaysFrozen:
    def verify(self, **kw: str) -> CardCheck:
        return CardCheck(ok=False, reason="card_frozen")


def test_the_adapter_is_pluggable() -> None:
    services.verifier.cache_clear()
    try:
        with override_settings(CUSTODESK_CARD_VERIFIER=f"{__name__}.AlwaysFrozen"):
            assert verify_card(card_number="6225882708965808", **PERSON).reason == "card_frozen"
    finally:
        services.verifier.cache_clear()
    assert verify_card(card_number="6225882708965808", **PERSON).ok


@pytest.mark.parametrize(
    ("number", "ok"),
    [
        ("6225882708965808", True),
        ("4111111111111111", True),
        ("6225882708965809", False),
        ("62258827089658x8", False),
        ("", False),
    ],
)
def test_luhn(number: str, ok: bool) -> None:
    assert luhn_ok(number) is ok


def test_the_documented_examples() -> None:
    """docs/custody.md: a failing card, another failing one, then a good one (all Luhn-valid)."""
    outcomes = [
        verify_card(card_number=n, **PERSON).reason
        for n in ("6225882708965881", "6225882708965824", "6225882708965808")
    ]
    assert outcomes == ["card_name_mismatch", "card_frozen", ""]
    assert all(luhn_ok(n) for n in ("6225882708965881", "6225882708965824", "6225882708965808"))
