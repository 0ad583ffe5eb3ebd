"""REG-IND: an individual registers (public) with a card authenticated by the bank."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from custodesk.audit.services import record
from custodesk.banks import services as banks
from custodesk.banks.models import Bank, Branch
from custodesk.core import context
from custodesk.notify import services as notify

from .. import messages
from ..errors import CardAuthenticationFailed
from ..models import INDIVIDUAL_ID_TYPES, BoundCard, CardAttempt, MemberProfile, MemberType
from .common import (
    PURPOSE_REGISTER,
    WARNINGS,
    Checker,
    check_code,
    duplicate_error,
    id_in_use,
    language,
    new_login_name,
    open_member_org,
)


@dataclass(frozen=True)
class IndividualForm:
    name: str
    id_type: str
    id_number: str
    bank_code: str
    branch_code: str
    card_number: str
    phone: str


@dataclass(frozen=True)
class Registered:
    member: MemberProfile
    warnings: list[dict[str, str]] = field(default_factory=list)


def card_fields(
    c: Checker, bank_code: str, branch_code: str, card_number: str, *, branch: bool = True
) -> dict[str, str]:
    """The card's bank (the directory), branch (of that bank) and number (16–19 digits;
    a failed Luhn check is a warning: not every domestic card follows it)."""
    bank = c.text("bank_code", bank_code, max_length=16)
    if bank and not Bank.objects.filter(code=bank).exists():
        c.add("bank_code", "unknown", _("Choose a bank from the directory."))
        bank = ""
    branch_code = c.text("branch_code", branch_code, max_length=16, required=branch)
    if (
        branch_code
        and bank
        and not Branch.objects.filter(code=branch_code, bank__code=bank).exists()
    ):
        c.add("branch_code", "unknown", _("Choose a branch of this bank from the directory."))
    number = "".join((card_number or "").split())
    if not number:
        c.add("card_number", "required", _("This field is required."))
    elif not (number.isascii() and number.isdigit() and 16 <= len(number) <= 19):
        c.add("card_number", "pattern", _("16 to 19 digits."))
    elif not banks.luhn_ok(number):
        c.warnings.append(
            {"field": "card_number", "rule": "luhn", "message": str(WARNINGS["luhn"])}
        )
    return {"bank_code": bank, "branch_code": branch_code, "card_number": number}


def individual_check(form: IndividualForm, *, now: dt.datetime) -> tuple[dict[str, str], list[Any]]:
    """The form checked and normalised (the confirmation page shows it); duplicates of
    a registered ID refused.  Raises ValidationFailed naming every bad field."""
    c = Checker()
    id_type = c.choice("id_type", form.id_type, INDIVIDUAL_ID_TYPES)
    clean = {
        "name": c.text("name", form.name, max_length=100),
        "id_type": id_type,
        "id_number": c.id_number("id_number", id_type, form.id_number, today=now.date()),
        **card_fields(c, form.bank_code, form.branch_code, form.card_number),
        "phone": c.mobile("phone", form.phone),
    }
    c.done()
    if id_in_use(clean["id_type"], clean["id_number"]):
        raise duplicate_error()
    return clean, c.warnings


def authenticate_card(clean: dict[str, str], *, purpose: str, now: dt.datetime) -> str:
    """Ask the bank's verifier (name, ID, card, phone); keep the attempt (the card only
    as its last four digits).  Returns the verifier's reason ("" when it said yes)."""
    check = banks.verify_card(
        name=clean["name"],
        id_type=clean["id_type"],
        id_number=clean["id_number"],
        card_number=clean["card_number"],
        phone=clean["phone"],
        bank_code=clean["bank_code"],
    )
    with transaction.atomic():
        CardAttempt.objects.create(
            purpose=purpose,
            bank_code=clean["bank_code"],
            card_last4=clean["card_number"][-4:],
            ok=bool(check.ok),
            reason="" if check.ok else str(check.reason)[:64],
            at=now,
            ip=(context.current().ip or "")[:64],
        )
    return "" if check.ok else str(check.reason)


def individual_register(
    *,
    form: IndividualForm,
    challenge_id: Any,
    sms_code: str,
    language_code: str = "",
    now: dt.datetime,
) -> Registered:
    """Register an individual: the form, the SMS code sent to the bank-reserved mobile
    (``member.register``), then the card authentication.  A failed authentication
    (:class:`CardAuthenticationFailed`, ``reason``) keeps nothing but the attempt: the
    applicant tries another card with a new code.  Success creates the member (sign-in
    with SMS codes), its profile, its bound card and its user; the login name and the
    initial password go by SMS through the outbox."""
    clean, warnings = individual_check(form, now=now)
    check_code(
        challenge_id=challenge_id,
        purpose=PURPOSE_REGISTER,
        phone=clean["phone"],
        code=sms_code,
        now=now,
    )
    reason = authenticate_card(clean, purpose=CardAttempt.Purpose.REGISTER, now=now)
    if reason:
        raise CardAuthenticationFailed(field="card_number", reason=reason)
    member = _create(clean, language(language_code), now=now)
    return Registered(member, warnings)


@transaction.atomic(durable=True)
def _create(clean: dict[str, str], lang: str, *, now: dt.datetime) -> MemberProfile:
    if id_in_use(clean["id_type"], clean["id_number"]):
        raise duplicate_error()
    org, user, password = open_member_org(
        actor=None,
        prefix="P",
        name=clean["name"],
        sign_in_factor="sms",
        username=new_login_name(),
        full_name=clean["name"],
        email="",
        phone=clean["phone"],
        language=lang,
        now=now,
    )
    try:
        with transaction.atomic():
            member = MemberProfile.objects.create(
                organisation=org,
                member_type=MemberType.INDIVIDUAL,
                id_type=clean["id_type"],
                id_number=clean["id_number"],
                name=clean["name"],
                mobile=clean["phone"],
                language=lang,
                created_at=now,
            )
    except IntegrityError:
        raise duplicate_error() from None
    card = BoundCard.objects.create(
        member=member,
        bank_code=clean["bank_code"],
        branch_code=clean["branch_code"],
        card_number=clean["card_number"],
        holder_name=clean["name"],
        phone=clean["phone"],
        bound_at=now,
    )
    record(
        actor=None,
        action="member.register_individual",
        object_type="member",
        object_id=member.public_id,
        object_repr=member.name,
        after={
            "organisation": org.code,
            "id_type": member.id_type,
            "id_number": member.id_number,
            "card": {
                "bank": card.bank_code,
                "branch": card.branch_code,
                "number": card.masked_number,
            },
        },
        organisation_id=org.pk,
        organisation_code=org.code,
        now=now,
    )
    notify.enqueue(
        channel="sms",
        template=messages.INDIVIDUAL_REGISTERED.code,
        recipient=clean["phone"],
        language=lang,
        secrets={"username": user.username, "password": password},
        now=now,
    )
    return member
