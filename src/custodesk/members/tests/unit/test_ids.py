"""The ID number checks (DOMAIN-NOTES §3 vectors)."""

import datetime as dt

import pytest

from custodesk.members import ids

TODAY = dt.date(2026, 11, 23)


@pytest.mark.parametrize(
    ("prefix", "digits", "check"),
    [("A", "123456", "3"), ("E", "364912", "5"), ("D", "288754", "2"),
     ("AB", "987654", "3"), ("AB", "123456", "9")],
)  # fmt: skip
def test_hkid_check_digit_vectors(prefix: str, digits: str, check: str) -> None:
    assert ids.hkid_check_digit(prefix, digits) == check
    assert ids.check_hkid(f"{prefix}{digits}({check})").value == f"{prefix}{digits}({check})"


def test_hkid_accepts_without_brackets_and_refuses_a_wrong_check() -> None:
    assert ids.check_hkid("a 123456 3").value == "A123456(3)"
    with pytest.raises(ids.IdProblem) as err:
        ids.check_hkid("A123456(4)")
    assert err.value.rule == "checksum"
    with pytest.raises(ids.IdProblem) as err:
        ids.check_hkid("123456(3)")
    assert err.value.rule == "format"


def test_hkid_remainder_one_is_a() -> None:
    # find a number whose check is A: (11 - r) mod 11 == 10 means r == 1
    found = next(f"{n:06d}" for n in range(1000000) if ids.hkid_check_digit("B", f"{n:06d}") == "A")
    assert ids.check_hkid(f"B{found}(A)").value == f"B{found}(A)"


def test_uscc() -> None:
    assert ids.check_uscc("91350100M000100Y43").value == "91350100M000100Y43"
    assert ids.check_uscc(" 914403001922038216 ").value == "914403001922038216"
    with pytest.raises(ids.IdProblem) as err:
        ids.check_uscc("91350100M000100Y4Z")
    assert err.value.rule == "format"  # Z is not in the alphabet
    with pytest.raises(ids.IdProblem) as err:
        ids.check_uscc("91350100M000100Y44")
    assert err.value.rule == "checksum"
    with pytest.raises(ids.IdProblem):
        ids.check_uscc("not a code")


def test_organisation_code_gb_11714() -> None:
    # the organisation code inside a valid USCC (positions 9-17) is itself valid
    assert ids.org_code_check_digit("19220382") == "1"
    assert ids.check_org_code("19220382-1").value == "19220382-1"
    assert ids.check_org_code("192203821").value == "19220382-1"
    with pytest.raises(ids.IdProblem) as err:
        ids.check_org_code("19220382-2")
    assert err.value.rule == "checksum"
    with pytest.raises(ids.IdProblem) as err:
        ids.check_org_code("1922038")
    assert err.value.rule == "format"


def test_org_code_check_x_and_zero() -> None:
    bodies = (f"{n:08d}" for n in range(100000))
    checks = {ids.org_code_check_digit(b) for b in bodies}
    assert "X" in checks and "0" in checks and checks <= set("0123456789X")


def test_resident_id_rules() -> None:
    assert ids.check_cn_ric("11010519491231002X", today=TODAY) == ids.Checked("11010519491231002X")
    # the standard's own example: valid, but its area code was not in use in 1880
    assert ids.check_cn_ric("440524188001010014", today=TODAY).warnings == ("area_unknown",)
    with pytest.raises(ids.IdProblem) as err:
        ids.check_cn_ric("110105194912310021", today=TODAY)
    assert err.value.rule == "checksum"
    with pytest.raises(ids.IdProblem) as err:
        body = "11010519491331002"  # month 13
        ids.check_cn_ric(body + _ric_check(body), today=TODAY)
    assert err.value.rule == "birth_date"
    with pytest.raises(ids.IdProblem) as err:
        body = "11010520301231002"  # born in the future
        ids.check_cn_ric(body + _ric_check(body), today=TODAY)
    assert err.value.rule == "birth_date"
    with pytest.raises(ids.IdProblem) as err:
        ids.check_cn_ric("1101051949123100", today=TODAY)
    assert err.value.rule == "format"


def _ric_check(body: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]


def test_check_id_dispatch() -> None:
    assert ids.check_id("hkid", "A1234563", today=TODAY).value == "A123456(3)"
    with pytest.raises(ids.IdProblem) as err:
        ids.check_id("passport", "X", today=TODAY)
    assert err.value.rule == "choice"


def test_mobile() -> None:
    assert ids.normalise_mobile("138 1234 5678") == "+8613812345678"
    assert ids.normalise_mobile("+852 9123 4567") == "+85291234567"
    for bad in ("", "12345", "+86 10 6552 9988", "x" * 40):
        with pytest.raises(ids.IdProblem):
            ids.normalise_mobile(bad)
