"""Identity documents and contact data of clients: pure checks, no database.

ID documents follow the regulator's waterfall (HKIDR CID, DOMAIN-NOTES.md §1.3): an
individual gives an HKID card if he has one, else his national identity card, else his
passport; a company its LEI, else its certificate of incorporation, else its business
registration.  A client is registered with the best document of the waterfall it holds;
what can be checked is checked (DOMAIN-NOTES.md §3):

* HKID: 1–2 letters, 6 digits and a check character (0–9 or A) — the mod-11 check of
  the Immigration Department (there is no HKID module in python-stdnum);
* national ID issued in mainland China (``CN``): GB 11643-1999 with ``stdnum.cn.ric``
  (check character and birth date; an unknown area code is accepted, as the notes say);
* LEI: ISO 17442 (``stdnum.lei``); HK business registration: 8 digits (+ 3-digit branch);
* a Chinese national gives his resident identity card, not a passport (waterfall), and an
  HKID is never given as a "national ID".

Every check returns the normalised value or a list of :class:`FieldError`.
"""

from __future__ import annotations

import datetime as dt
import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _
from stdnum import lei
from stdnum.cn import ric
from stdnum.exceptions import InvalidComponent
from stdnum.exceptions import ValidationError as StdnumError

from custodesk.core.errors import FieldError

INDIVIDUAL_ID_TYPES = ("hkid", "national_id", "passport")
CORPORATE_ID_TYPES = ("lei", "incorporation", "business_registration")
COUNTRIES = frozenset(phonenumbers.SUPPORTED_REGIONS)

_HKID = re.compile(r"([A-Z]{1,2})([0-9]{6})\(?([0-9A])\)?")
_GENERIC_ID = re.compile(r"[A-Z0-9][A-Z0-9-]{3,31}")
_HK_BR = re.compile(r"[0-9]{8}(-?[0-9]{3})?")


def hkid_check_char(letters: str, digits: str) -> str:
    """The check character of an HKID (``letters`` 1–2 capitals, ``digits`` 6 digits):
    left-padded to 8 with a space (36), A=10 … Z=35, weights 9 … 2, (11 − Σ mod 11) mod 11,
    10 → 'A'."""
    chars = (" " * (2 - len(letters))) + letters + digits
    values = [36 if c == " " else ord(c) - 55 if c.isalpha() else int(c) for c in chars]
    total = sum(v * w for v, w in zip(values, range(9, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    return "A" if check == 10 else str(check)


def normalise_hkid(value: str) -> str | None:
    """``A123456(3)`` for a valid HKID (spaces, brackets and case forgiven), else None."""
    m = _HKID.fullmatch(re.sub(r"\s", "", value or "").upper())
    if m is None:
        return None
    letters, digits, check = m.groups()
    if hkid_check_char(letters, digits) != check:
        return None
    return f"{letters}{digits}({check})"


def check_id(
    *,
    kind: str,
    id_type: str,
    id_number: str,
    issuing_place: str,
    nationality: str,
    field: str = "id_number",
) -> tuple[str, str, list[FieldError]]:
    """(normalised number, issuing place, errors) of a client's ID document."""
    errors: list[FieldError] = []
    number = re.sub(r"\s", "", id_number or "").upper()
    place = (issuing_place or "").upper()
    allowed = INDIVIDUAL_ID_TYPES if kind == "individual" else CORPORATE_ID_TYPES
    if id_type not in allowed:
        errors.append(
            FieldError(
                "id_type",
                "choice",
                _("For this client type the ID type is one of: %(types)s.")
                % {"types": ", ".join(allowed)},
            )
        )
        return number, place, errors
    if not number:
        return number, place, [FieldError(field, "required", _("This field is required."))]
    if id_type == "hkid":
        place = "HK"
        hkid = normalise_hkid(number)
        if hkid is None:
            errors.append(
                FieldError(field, "hkid", _("Not a valid HKID number (e.g. A123456(3)).")),
            )
        return hkid or number, place, errors
    if id_type == "lei":
        try:
            return lei.validate(number), place, errors
        except StdnumError:
            return number, place, [FieldError(field, "lei", _("Not a valid LEI (ISO 17442)."))]
    if place and place not in COUNTRIES:
        errors.append(FieldError("id_issuing_place", "country", _("Not a country code.")))
    if not place:
        errors.append(FieldError("id_issuing_place", "required", _("This field is required.")))
    if id_type == "national_id":
        if place == "HK":
            errors.append(
                FieldError(
                    "id_type", "waterfall", _("A Hong Kong card is an HKID, not a national ID.")
                )
            )
        elif place == "CN":
            return _check_ric(number, field, errors)
    if id_type == "passport" and (nationality or "").upper() == "CN":
        errors.append(
            FieldError(
                "id_type",
                "waterfall",
                _("A Chinese national gives the resident identity card, not a passport."),
            )
        )
    if id_type == "business_registration" and place == "HK":
        if not _HK_BR.fullmatch(number):
            errors.append(
                FieldError(
                    field, "business_registration", _("8 digits, optionally a 3-digit branch.")
                )
            )
        return number, place, errors
    if not _GENERIC_ID.fullmatch(number):
        errors.append(FieldError(field, "pattern", _("4–32 letters, digits or '-'.")))
    return number, place, errors


def _check_ric(
    number: str, field: str, errors: list[FieldError]
) -> tuple[str, str, list[FieldError]]:
    try:
        ric.validate(number)
    except InvalidComponent:
        # the area code is not in stdnum's table (old or new areas): the number's check
        # character and birth date are still required below
        pass
    except StdnumError:
        errors.append(
            FieldError(
                field, "cn_ric", _("Not a valid resident identity card number (18 characters).")
            )
        )
        return number, "CN", errors
    try:
        ric.get_birth_date(number)
    except StdnumError:
        errors.append(FieldError(field, "cn_ric", _("The birth date in the number is not valid.")))
    return number, "CN", errors


def normalise_phone(value: str, field: str = "phone") -> tuple[str, list[FieldError]]:
    """E.164 (``+85291234567``) of an international number."""
    if not value:
        return "", []
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or not phonenumbers.is_valid_number(parsed):
        return value, [
            FieldError(field, "phone", _("An international phone number, e.g. +85291234567."))
        ]
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164), []


def check_email(value: str, field: str = "email") -> list[FieldError]:
    if not value:
        return []
    try:
        validate_email(value)
    except ValidationError:
        return [FieldError(field, "email", _("Enter a valid e-mail address."))]
    return []


def check_country(value: str, field: str) -> tuple[str, list[FieldError]]:
    code = (value or "").upper()
    if code and code not in COUNTRIES:
        return code, [FieldError(field, "country", _("Not a country code."))]
    return code, []


def age_on(born: dt.date, day: dt.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))
