"""FORGOT: a member who forgot its login name or password (public).

Enterprise: ID type + number + registered mobile + SMS code.  Individual: name, ID,
card, bank, the card's bank-reserved mobile + SMS code + card authentication.  The
login name is shown (as the manual says); a temporary password is set and sent by SMS
through the outbox.  The SMS code is checked first (the caller owns the phone); any
mismatch after it is one generic refusal that does not say which part was wrong."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from custodesk.audit.services import record
from custodesk.identity import services as identity
from custodesk.identity.models import Organisation, User
from custodesk.notify import services as notify

from .. import messages
from ..errors import RecoveryRefused
from ..models import (
    ENTERPRISE_ID_TYPES,
    INDIVIDUAL_ID_TYPES,
    BoundCard,
    CardAttempt,
    MemberProfile,
    MemberType,
)
from .common import PURPOSE_FORGOT, Checker, check_code
from .individual import authenticate_card, card_fields


@dataclass(frozen=True)
class Recovered:
    username: str


def _user_for(member: MemberProfile | None, phone: str | None) -> User | None:
    """The member's first user still in use (an enterprise's: the one whose phone is the
    registered mobile)."""
    if member is None or member.status != MemberProfile.Status.ACTIVE:
        return None
    if member.organisation.status != Organisation.Status.ACTIVE:
        return None
    users = User.objects.filter(organisation=member.organisation)
    if phone is not None:
        users = users.filter(phone=phone)
    return users.exclude(status=User.Status.INACTIVE).order_by("created_at", "pk").first()


def forgot_enterprise(
    *,
    id_type: str,
    id_number: str,
    mobile: str,
    challenge_id: Any,
    sms_code: str,
    now: dt.datetime,
) -> Recovered:
    c = Checker()
    id_type = c.choice("id_type", id_type, ENTERPRISE_ID_TYPES)
    number = c.id_number("id_number", id_type, id_number, today=now.date())
    phone = c.mobile("mobile", mobile)
    c.done()
    check_code(
        challenge_id=challenge_id, purpose=PURPOSE_FORGOT, phone=phone, code=sms_code, now=now
    )
    member = (
        MemberProfile.objects.select_related("organisation")
        .filter(member_type=MemberType.ENTERPRISE, id_type=id_type, id_number=number, mobile=phone)
        .first()
    )
    user = _user_for(member, phone)
    if member is None or user is None:
        raise RecoveryRefused()
    return _reset(member, user, phone, now=now)


def forgot_individual(
    *,
    name: str,
    id_type: str,
    id_number: str,
    bank_code: str,
    card_number: str,
    phone: str,
    challenge_id: Any,
    sms_code: str,
    now: dt.datetime,
) -> Recovered:
    c = Checker()
    clean = {
        "name": c.text("name", name, max_length=100),
        "id_type": c.choice("id_type", id_type, INDIVIDUAL_ID_TYPES),
    }
    clean["id_number"] = c.id_number("id_number", clean["id_type"], id_number, today=now.date())
    card = card_fields(c, bank_code, "", card_number, branch=False)
    clean.update(bank_code=card["bank_code"], card_number=card["card_number"])
    clean["phone"] = c.mobile("phone", phone)
    c.done()
    check_code(
        challenge_id=challenge_id,
        purpose=PURPOSE_FORGOT,
        phone=clean["phone"],
        code=sms_code,
        now=now,
    )
    member = (
        MemberProfile.objects.select_related("organisation")
        .filter(
            member_type=MemberType.INDIVIDUAL,
            id_type=clean["id_type"],
            id_number=clean["id_number"],
            name=clean["name"],
        )
        .first()
    )
    matches = (
        member is not None
        and BoundCard.objects.filter(
            member=member,
            status=BoundCard.Status.CURRENT,
            bank_code=clean["bank_code"],
            card_number=clean["card_number"],
            phone=clean["phone"],
        ).exists()
    )
    user = _user_for(member, None) if matches else None
    if member is None or user is None:
        raise RecoveryRefused()
    if authenticate_card(clean, purpose=CardAttempt.Purpose.FORGOT, now=now):
        raise RecoveryRefused()
    return _reset(member, user, clean["phone"], now=now)


@transaction.atomic(durable=True)
def _reset(member: MemberProfile, user: User, phone: str, *, now: dt.datetime) -> Recovered:
    user = User.objects.select_for_update().get(pk=user.pk)
    password = identity.password_reset_self(user=user, now=now)
    record(
        actor=None,
        action="member.password_reset_self",
        object_type="member",
        object_id=member.public_id,
        object_repr=member.name,
        after={"user_id": str(user.public_id)},
        organisation_id=member.organisation_id,
        organisation_code=member.organisation.code,
        now=now,
    )
    notify.enqueue(
        channel="sms",
        template=messages.PASSWORD_RESET.code,
        recipient=phone,
        language=member.language or user.language,
        secrets={"username": user.username, "password": password},
        now=now,
    )
    return Recovered(user.username)
