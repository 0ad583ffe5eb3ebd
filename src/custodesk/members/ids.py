"""Identification numbers of members: check and normalise.

Each ``check_*`` returns the number in its stored form with the warnings the caller
shows (the rule codes of soft problems), or raises :class:`IdProblem` (the rule code of
a hard one).  Sources (../shared/spec/DOMAIN-NOTES.md §3):

* unified social credit code (GB 32100-2015): ``stdnum.cn.uscc``;
* organisation code (GB 11714-1997): python-stdnum has no module, implemented here;
* mainland resident ID (GB 11643-1999): ``stdnum.cn.ric`` — the check character and the
  birth date are hard errors, an area code unknown to stdnum's table only a warning;
* Hong Kong identity card: stdnum has no module, implemented here;
* mobile numbers: ``phonenumbers`` (mainland by default, any region with ``+``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import phonenumbers
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, ValidationError

__all__ = [
    "Checked",
    "IdProblem",
    "check_cn_ric",
    "check_hkid",
    "check_id",
    "check_org_code",
    "check_uscc",
    "hkid_check_digit",
    "normalise_mobile",
    "org_code_check_digit",
]


@dataclass(frozen=True)
class Checked:
    value: str
    warnings: tuple[str, ...] = ()


class IdProblem(ValueError):
    def __init__(self, rule: str, message: str | Promise) -> None:
        self.rule = rule
        self.message = message
        super().__init__(rule)


def _clean(value: str) -> str:
    return re.sub(r"[\s\-]", "", value or "").upper()


# -- unified social credit code ------------------------------------------------------
_USCC_RE = re.compile(r"^[0-9A-HJ-NP-RTUWXY]{2}[0-9]{6}[0-9A-HJ-NP-RTUWXY]{10}$")


def check_uscc(value: str) -> Checked:
    number = _clean(value)
    if not _USCC_RE.match(number):
        raise IdProblem(
            "format",
            _("18 characters: digits and capital letters other than I, O, S, V and Z."),
        )
    try:
        uscc.validate(number)
    except InvalidChecksum:
        raise IdProblem("checksum", _("The check character is wrong.")) from None
    except ValidationError:
        raise IdProblem("format", _("This is not a unified social credit code.")) from None
    return Checked(number)


# -- organisation code (GB 11714-1997) -----------------------------------------------
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_RE = re.compile(r"^[0-9A-Z]{8}[0-9X]$")


def org_code_check_digit(body: str) -> str:
    """The check character of the 8-character body: digits count at face value,
    letters A=10 … Z=35; C = 11 - Σ(value × weight) mod 11; 10 → X, 11 → 0."""
    total = sum(int(ch, 36) * w for ch, w in zip(body, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def check_org_code(value: str) -> Checked:
    number = _clean(value)
    if not _ORG_RE.match(number):
        raise IdProblem(
            "format", _("8 digits or capital letters and a check character, e.g. 12345678-9.")
        )
    if org_code_check_digit(number[:8]) != number[8]:
        raise IdProblem("checksum", _("The check character is wrong."))
    return Checked(f"{number[:8]}-{number[8]}")


# -- mainland resident ID (GB 11643-1999) --------------------------------------------
def check_cn_ric(value: str, *, today: dt.date) -> Checked:
    number = _clean(value)
    if not re.fullmatch(r"[0-9]{17}[0-9X]", number):
        raise IdProblem("format", _("18 characters: 17 digits and a digit or X."))
    if ric.calc_check_digit(number) != number[-1]:
        raise IdProblem("checksum", _("The check character is wrong."))
    try:
        born = ric.get_birth_date(number)
    except InvalidComponent:
        raise IdProblem("birth_date", _("The birth date in the number is not a date.")) from None
    if born.year < 1870 or born > today:
        raise IdProblem("birth_date", _("The birth date in the number is not possible."))
    try:
        ric.get_birth_place(number)
    except (InvalidComponent, KeyError, ValueError):
        return Checked(number, ("area_unknown",))
    return Checked(number)


# -- Hong Kong identity card ---------------------------------------------------------
_HKID_RE = re.compile(r"^([A-Z]{1,2})([0-9]{6})\(?([0-9A])\)?$")


def hkid_check_digit(prefix: str, digits: str) -> str:
    """Left-pad to 8 with a space (36), letters A=10 … Z=35, weights 9 … 2;
    check = (11 - Σ mod 11) mod 11, 10 → A."""
    chars = (" " + prefix)[-2:] + digits
    total = sum(
        (36 if ch == " " else int(ch, 36)) * w for ch, w in zip(chars, range(9, 1, -1), strict=True)
    )
    check = (11 - total % 11) % 11
    return "A" if check == 10 else str(check)


def check_hkid(value: str) -> Checked:
    number = re.sub(r"\s", "", value or "").upper()
    found = _HKID_RE.match(number)
    if not found:
        raise IdProblem(
            "format", _("One or two letters, six digits and the check character, e.g. A123456(3).")
        )
    prefix, digits, check = found.groups()
    if hkid_check_digit(prefix, digits) != check:
        raise IdProblem("checksum", _("The check character is wrong."))
    return Checked(f"{prefix}{digits}({check})")


def check_id(id_type: str, value: str, *, today: dt.date) -> Checked:
    if id_type == "uscc":
        return check_uscc(value)
    if id_type == "org_code":
        return check_org_code(value)
    if id_type == "cn_ric":
        return check_cn_ric(value, today=today)
    if id_type == "hkid":
        return check_hkid(value)
    raise IdProblem("choice", _("Not a valid choice."))


# -- mobile numbers ------------------------------------------------------------------
_MOBILE_TYPES = (
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
)


def normalise_mobile(value: str, *, region: str = "CN") -> str:
    """A mobile number in E.164 (``+8613812345678``); without ``+`` a mainland number."""
    raw = (value or "").strip()
    if not raw or len(raw) > 32:
        raise IdProblem("mobile", _("Enter a mobile number."))
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise IdProblem("mobile", _("Enter a mobile number.")) from None
    if not phonenumbers.is_valid_number(parsed) or (
        phonenumbers.number_type(parsed) not in _MOBILE_TYPES
    ):
        raise IdProblem("mobile", _("This is not a valid mobile number."))
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
