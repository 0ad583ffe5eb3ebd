"""Card authentication (the four-element check of REG-IND / FORGOT / M-CARD / SELF-PHONE)
and the card-number rules.

:func:`verify_card` asks the configured :class:`CardVerifier` whether the card
belongs to the named person and the bank-reserved mobile: a real adapter calls the
card-authentication network (UnionPay's four-element check: name, ID, card number,
reserved mobile); the embedded default, :class:`EmbeddedCardVerifier`, decides by the
card number's last digit so that demos and tests can show failures (table in its
docstring and in docs/custody.md).  The setting ``CUSTODESK_CARD_VERIFIER`` names the
adapter's class by dotted path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from custodesk.core.errors import FieldError, ValidationFailed

from .models import Bank

CARD_NUMBER_RE = re.compile(r"[0-9]{16,19}")
PHONE_RE = re.compile(r"\+?[0-9]{6,20}")

# every reason a verifier may give (a real adapter maps the network's codes onto these)
CARD_NAME_MISMATCH = "card_name_mismatch"
CARD_ID_MISMATCH = "card_id_mismatch"
CARD_PHONE_MISMATCH = "card_phone_mismatch"
CARD_NOT_SUPPORTED = "card_not_supported"
CARD_FROZEN = "card_frozen"
REASONS = {
    CARD_NAME_MISMATCH: _("The name does not match the card holder's."),
    CARD_ID_MISMATCH: _("The ID number does not match the card holder's."),
    CARD_PHONE_MISMATCH: _("The mobile number is not the one the bank holds for this card."),
    CARD_NOT_SUPPORTED: _("This card cannot be used for custody transfers; try another card."),
    CARD_FROZEN: _("The card is frozen or reported lost at its bank."),
}


@dataclass(frozen=True)
class CardCheck:
    """The verifier's answer: ``ok``, else ``reason`` (one of ``REASONS``)."""

    ok: bool
    reason: str = ""

    @property
    def message(self) -> str:
        return str(REASONS.get(self.reason, "")) if self.reason else ""


class CardVerifier(Protocol):
    """An adapter to the card-authentication network.  Gets well-formed input (the
    service checked formats and the bank); answers a :class:`CardCheck`; raises
    ``banks.errors.CardVerifierUnavailable`` when the network does not answer."""

    def verify(
        self,
        *,
        name: str,
        id_type: str,
        id_number: str,
        card_number: str,
        phone: str,
        bank_code: str,
    ) -> CardCheck: ...


class EmbeddedCardVerifier:
    """The deterministic default (no network): the **last digit of the card number**
    decides.

    ==========  =======================  ===========================================
    last digit  outcome                  stands for
    ==========  =======================  ===========================================
    1           ``card_name_mismatch``   the name is not the card holder's
    2           ``card_id_mismatch``     the ID number is not the card holder's
    3           ``card_phone_mismatch``  the mobile is not the bank-reserved one
    4           ``card_frozen``          the card is frozen / reported lost
    5           ``card_not_supported``   the card type cannot be bound
    0, 6–9      ok
    ==========  =======================  ===========================================

    Name, ID, phone and bank are not compared with anything: there is no bank to ask.
    """

    OUTCOMES = {
        "1": CARD_NAME_MISMATCH,
        "2": CARD_ID_MISMATCH,
        "3": CARD_PHONE_MISMATCH,
        "4": CARD_FROZEN,
        "5": CARD_NOT_SUPPORTED,
    }

    def verify(
        self,
        *,
        name: str,
        id_type: str,
        id_number: str,
        card_number: str,
        phone: str,
        bank_code: str,
    ) -> CardCheck:
        reason = self.OUTCOMES.get(card_number[-1:], "")
        return CardCheck(ok=not reason, reason=reason)


@cache
def verifier() -> CardVerifier:
    """The configured adapter (``CUSTODESK_CARD_VERIFIER``, a dotted class path)."""
    path = getattr(settings, "CUSTODESK_CARD_VERIFIER", "") or (
        "custodesk.banks.services.EmbeddedCardVerifier"
    )
    adapter: CardVerifier = import_string(path)()
    return adapter


def luhn_ok(card_number: str) -> bool:
    """The Luhn (mod 10) check digit is right.  Not every domestic card follows it,
    so callers treat a failure as a warning, not a refusal."""
    if not card_number.isascii() or not card_number.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(card_number)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def card_number_errors(card_number: str, field: str = "card_number") -> list[FieldError]:
    """The hard rule on a card number: 16–19 ASCII digits."""
    if not CARD_NUMBER_RE.fullmatch(card_number or "") or not card_number.isascii():
        return [FieldError(field, "pattern", _("A card number has 16 to 19 digits."))]
    return []


def verify_card(
    *,
    name: str,
    id_type: str,
    id_number: str,
    card_number: str,
    phone: str,
    bank_code: str,
) -> CardCheck:
    """Card authentication: does the card belong to this person and this reserved mobile?

    Formats are checked first (ValidationFailed naming ``card_number`` — 16–19 digits —,
    ``bank_code`` — a bank of the directory —, ``name``, ``id_number``, ``phone``); then
    the adapter answers ok or a reason code.  Writes nothing, logs no card number.
    Raises ValidationFailed, CardVerifierUnavailable.
    """
    errors = card_number_errors(card_number)
    if not name.strip():
        errors.append(FieldError("name", "required", _("This field is required.")))
    if not id_number.strip():
        errors.append(FieldError("id_number", "required", _("This field is required.")))
    if not PHONE_RE.fullmatch(phone or ""):
        errors.append(FieldError("phone", "pattern", _("Enter a mobile number.")))
    if not Bank.objects.filter(code=bank_code).exists():
        errors.append(FieldError("bank_code", "unknown", _("Choose a bank of the directory.")))
    if errors:
        raise ValidationFailed(errors)
    return verifier().verify(
        name=name.strip(),
        id_type=id_type,
        id_number=id_number.strip(),
        card_number=card_number,
        phone=phone,
        bank_code=bank_code,
    )
