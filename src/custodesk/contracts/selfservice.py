"""The member's own data: bound card change (M-CARD), member data (SELF-INFO), an
individual's mobile number (SELF-PHONE) and closing the registration (CLOSE).

Each confirms with a second factor (an SMS code, :func:`services.second_factor`),
checked in identity's own transaction before the use case's, after the input has
been validated (a refused input consumes no code).  Login name and password changes
are identity's (My security).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from custodesk.audit.services import record
from custodesk.banks import selectors as bank_directory
from custodesk.banks import services as banks
from custodesk.core import access
from custodesk.core.errors import FieldError, ValidationFailed
from custodesk.identity import services as identity
from custodesk.identity.models import User
from custodesk.ledger import facade as ledger
from custodesk.members.errors import CardAuthenticationFailed
from custodesk.members.models import BoundCard, MemberProfile, mask_card

from . import permissions as perms
from .errors import (
    CardMovedFundsToday,
    MemberHasBalance,
    MemberHasContracts,
)
from .models import Contract
from .services import (
    PURPOSE_CARD,
    PURPOSE_CLOSE,
    PURPOSE_INFO,
    PURPOSE_PHONE,
    active_member_of,
    factor_phone,
    is_individual,
    second_factor,
)


def _member(actor: User) -> MemberProfile:
    access.require(actor, perms.MEMBER_MAINTAIN)
    return active_member_of(actor)


def _locked_member(profile: MemberProfile) -> MemberProfile:
    return (
        MemberProfile.objects.select_for_update().select_related("organisation").get(pk=profile.pk)
    )


def _moved_funds_today(actor: User, profile: MemberProfile, business_date: dt.date) -> bool:
    """A deposit or withdrawal (a posted transfer) on any sub-account of the member's
    contracts in force, on this business date."""
    for account_id in Contract.objects.filter(
        member=profile, status=Contract.Status.ACTIVE, sub_ledger_account_id__isnull=False
    ).values_list("sub_ledger_account_id", flat=True):
        if account_id is None:
            continue
        st = ledger.statement(
            actor=actor, account_id=account_id, date_from=business_date, date_to=business_date
        )
        if st.lines:
            return True
    return False


def _card_row(card: BoundCard) -> dict[str, Any]:
    return {
        "bank_code": card.bank_code,
        "branch_code": card.branch_code,
        "card": mask_card(card.card_number),
        "holder_name": card.holder_name,
    }


def _authenticate(profile: MemberProfile, *, card_number: str, phone: str, bank_code: str) -> None:
    """The bank's four-element check; its refusal names the card number and the reason."""
    check = banks.verify_card(
        name=profile.name,
        id_type=profile.id_type,
        id_number=profile.id_number,
        card_number=card_number,
        phone=phone,
        bank_code=bank_code,
    )
    if not check.ok:
        raise CardAuthenticationFailed(
            check.message or None, field="card_number", reason=check.reason
        )


# -- M-CARD ----------------------------------------------------------------------------
def card_change(
    *,
    actor: User,
    bank_code: str,
    branch_code: str = "",
    card_number: str,
    phone: str,
    challenge_id: UUID | None,
    sms_code: str | None,
    now: dt.datetime,
    business_date: dt.date,
) -> BoundCard:
    """Replace the member's bound card: formats, then "no deposit or withdrawal today",
    then the SMS code, then the card authentication (same name and ID as the member),
    then one transaction: the old card is kept as ``replaced``, the new one is current
    and every contract in force moves to it.  Raises PermissionDenied, MemberClosed,
    ValidationFailed, CardMovedFundsToday, InvalidVerificationCode,
    CardAuthenticationFailed."""
    profile = _member(actor)
    errors = banks.card_number_errors(card_number)
    if not banks.PHONE_RE.fullmatch(phone or ""):
        errors.append(FieldError("phone", "pattern", _("Enter a mobile number.")))
    if bank_directory.bank(bank_code) is None:
        errors.append(FieldError("bank_code", "unknown", _("Choose a bank of the directory.")))
    if len(branch_code) > 16:
        errors.append(FieldError("branch_code", "max_length", _("At most 16 characters.")))
    current = BoundCard.objects.filter(member=profile, status=BoundCard.Status.CURRENT).first()
    if current is not None and current.card_number == card_number:
        errors.append(FieldError("card_number", "unchanged", _("This card is already bound.")))
    if errors:
        raise ValidationFailed(errors)
    if _moved_funds_today(actor, profile, business_date):
        raise CardMovedFundsToday(business_date=business_date.isoformat())
    second_factor(
        actor=actor,
        profile=profile,
        purpose=PURPOSE_CARD,
        challenge_id=challenge_id,
        sms_code=sms_code,
        now=now,
    )
    _authenticate(profile, card_number=card_number, phone=phone, bank_code=bank_code)
    return _card_replace(
        actor=actor,
        profile=profile,
        bank_code=bank_code,
        branch_code=branch_code,
        card_number=card_number,
        phone=phone,
        now=now,
        business_date=business_date,
    )


@transaction.atomic(durable=True)
def _card_replace(
    *,
    actor: User,
    profile: MemberProfile,
    bank_code: str,
    branch_code: str,
    card_number: str,
    phone: str,
    now: dt.datetime,
    business_date: dt.date,
) -> BoundCard:
    profile = _locked_member(profile)
    # re-checked under the member's lock: a deposit may have been booked meanwhile
    if _moved_funds_today(actor, profile, business_date):
        raise CardMovedFundsToday(business_date=business_date.isoformat())
    old = (
        BoundCard.objects.select_for_update()
        .filter(member=profile, status=BoundCard.Status.CURRENT)
        .first()
    )
    before = _card_row(old) if old is not None else None
    if old is not None:
        old.status = BoundCard.Status.REPLACED
        old.replaced_at = now
        old.save(update_fields=["status", "replaced_at"])
    card = BoundCard.objects.create(
        member=profile,
        bank_code=bank_code,
        branch_code=branch_code,
        card_number=card_number,
        holder_name=profile.name,
        phone=phone,
        bound_at=now,
    )
    moved = Contract.objects.filter(member=profile, status=Contract.Status.ACTIVE).update(card=card)
    record(
        actor=actor,
        action="contracts.card_change",
        object_type="member",
        object_id=profile.public_id,
        object_repr=profile.name,
        before=before,
        after={**_card_row(card), "contracts": moved},
        organisation_id=profile.organisation_id,
        organisation_code=profile.organisation.code,
        now=now,
    )
    return card


# -- SELF-INFO ---------------------------------------------------------------------------
ENTERPRISE_FIELDS = ("legal_representative", "contact_name", "email", "address")
INDIVIDUAL_FIELDS = ("email", "address")
LIMITS = {"legal_representative": 100, "contact_name": 100, "email": 254, "address": 300}


def editable_fields(profile: MemberProfile) -> tuple[str, ...]:
    return INDIVIDUAL_FIELDS if is_individual(profile) else ENTERPRISE_FIELDS


def _profile_row(profile: MemberProfile) -> dict[str, Any]:
    return {f: getattr(profile, f) for f in (*ENTERPRISE_FIELDS, "mobile")}


def info_change(
    *,
    actor: User,
    changes: dict[str, str],
    challenge_id: UUID | None,
    sms_code: str | None,
    now: dt.datetime,
) -> MemberProfile:
    """Edit the member's own data (enterprise: legal representative, contact, e-mail,
    address; individual: e-mail, address — names and ID numbers are the bank's to
    change).  Validated, then the SMS code, then audited with before and after.
    Raises PermissionDenied, MemberClosed, ValidationFailed, InvalidVerificationCode."""
    profile = _member(actor)
    allowed = editable_fields(profile)
    errors = [
        FieldError(name, "not_editable", _("This field cannot be changed here."))
        for name in changes
        if name not in allowed
    ]
    clean: dict[str, str] = {}
    for name, value in changes.items():
        if name not in allowed:
            continue
        value = (value or "").strip()
        if len(value) > LIMITS[name]:
            errors.append(FieldError(name, "max_length", _("This value is too long.")))
        elif name in ("legal_representative", "contact_name", "address") and not value:
            errors.append(FieldError(name, "required", _("This field is required.")))
        elif name == "email" and value:
            try:
                validate_email(value)
            except DjangoValidationError:
                errors.append(FieldError(name, "email", _("Enter a valid e-mail address.")))
        clean[name] = value
    if not errors and all(getattr(profile, k) == v for k, v in clean.items()):
        errors.append(FieldError("changes", "unchanged", _("Nothing to change.")))
    if errors:
        raise ValidationFailed(errors)
    second_factor(
        actor=actor,
        profile=profile,
        purpose=PURPOSE_INFO,
        challenge_id=challenge_id,
        sms_code=sms_code,
        now=now,
    )
    return _info_save(actor=actor, profile=profile, clean=clean, now=now)


@transaction.atomic(durable=True)
def _info_save(
    *, actor: User, profile: MemberProfile, clean: dict[str, str], now: dt.datetime
) -> MemberProfile:
    profile = _locked_member(profile)
    before = _profile_row(profile)
    for name, value in clean.items():
        setattr(profile, name, value)
    profile.save(update_fields=list(clean))
    record(
        actor=actor,
        action="contracts.member_info_change",
        object_type="member",
        object_id=profile.public_id,
        object_repr=profile.name,
        before=before,
        after=_profile_row(profile),
        organisation_id=profile.organisation_id,
        organisation_code=profile.organisation.code,
        now=now,
    )
    return profile


# -- SELF-PHONE ----------------------------------------------------------------------------
def phone_code_send(*, actor: User, new_phone: str, now: dt.datetime) -> Any:
    """Send the SELF-PHONE code to the *new* number.  Raises ValidationFailed,
    CodeThrottled."""
    profile = _member(actor)
    _phone_input_check(profile, new_phone)
    return identity.verification_send(
        purpose=PURPOSE_PHONE,
        phone=new_phone,
        language=actor.language or profile.language,
        now=now,
    )


def _phone_input_check(profile: MemberProfile, new_phone: str) -> None:
    if not is_individual(profile):
        raise ValidationFailed.single(
            "new_phone",
            "individual_only",
            _("An enterprise changes its registered mobile in its member data."),
        )
    if not banks.PHONE_RE.fullmatch(new_phone or ""):
        raise ValidationFailed.single("new_phone", "pattern", _("Enter a mobile number."))
    if new_phone == profile.mobile:
        raise ValidationFailed.single(
            "new_phone", "unchanged", _("This is already the registered mobile.")
        )


@dataclass(frozen=True)
class PhoneChanged:
    profile: MemberProfile
    card: BoundCard


def phone_change(
    *,
    actor: User,
    new_phone: str,
    card_number: str,
    challenge_id: UUID | None,
    sms_code: str | None,
    now: dt.datetime,
) -> PhoneChanged:
    """An individual member's new mobile: the bound card is authenticated with the new
    number as its bank-reserved mobile, and the code sent to the new number
    (:func:`phone_code_send`) is entered.  The member's, its user's and the card's
    mobile change together, audited.  Raises ValidationFailed, InvalidVerificationCode,
    CardAuthenticationFailed."""
    profile = _member(actor)
    _phone_input_check(profile, new_phone)
    card = BoundCard.objects.filter(member=profile, status=BoundCard.Status.CURRENT).first()
    if card is None or card.card_number != card_number:
        raise ValidationFailed.single(
            "card_number", "not_bound", _("Enter the number of the bound card.")
        )
    # the code went to the new number
    if challenge_id is None or not sms_code:
        raise ValidationFailed.single(
            "sms_code", "required", _("Enter the SMS code sent to the new mobile.")
        )
    identity.verification_check(
        challenge_id=challenge_id, purpose=PURPOSE_PHONE, phone=new_phone, code=sms_code, now=now
    )
    _authenticate(profile, card_number=card.card_number, phone=new_phone, bank_code=card.bank_code)
    return _phone_save(actor=actor, profile=profile, new_phone=new_phone, now=now)


@transaction.atomic(durable=True)
def _phone_save(
    *, actor: User, profile: MemberProfile, new_phone: str, now: dt.datetime
) -> PhoneChanged:
    profile = _locked_member(profile)
    card = BoundCard.objects.select_for_update().get(member=profile, status="current")
    before = {"mobile": profile.mobile, "card_phone": card.phone}
    profile.mobile = new_phone
    profile.save(update_fields=["mobile"])
    card.phone = new_phone
    card.save(update_fields=["phone"])
    for user in User.objects.filter(organisation_id=profile.organisation_id, status="active"):
        identity.user_phone_set(actor=actor, user=user, phone=new_phone, now=now)
    record(
        actor=actor,
        action="contracts.member_phone_change",
        object_type="member",
        object_id=profile.public_id,
        object_repr=profile.name,
        before=before,
        after={"mobile": profile.mobile, "card_phone": card.phone},
        organisation_id=profile.organisation_id,
        organisation_code=profile.organisation.code,
        now=now,
    )
    return PhoneChanged(profile, card)


# -- CLOSE ------------------------------------------------------------------------------------
def _close_blockers(actor: User, profile: MemberProfile) -> None:
    if Contract.objects.filter(member=profile, status=Contract.Status.ACTIVE).exists():
        raise MemberHasContracts()
    for account_id in Contract.objects.filter(
        member=profile, sub_ledger_account_id__isnull=False
    ).values_list("sub_ledger_account_id", flat=True):
        if account_id is None:
            continue
        b = ledger.balances(actor=actor, account_id=account_id)
        if b.posted.minor or b.pending_debits.minor or b.pending_credits.minor:
            raise MemberHasBalance(currency=b.posted.currency)


def close_registration(
    *, actor: User, challenge_id: UUID | None, sms_code: str | None, now: dt.datetime
) -> MemberProfile:
    """CLOSE: only when every contract is cancelled and every balance is zero; then the
    SMS code; then the member, its organisation and every user of it are closed (data
    kept, sign-in refused from now on).  Raises PermissionDenied, MemberClosed,
    MemberHasContracts, MemberHasBalance, InvalidVerificationCode."""
    profile = _member(actor)
    _close_blockers(actor, profile)
    second_factor(
        actor=actor,
        profile=profile,
        purpose=PURPOSE_CLOSE,
        challenge_id=challenge_id,
        sms_code=sms_code,
        now=now,
    )
    return _close(actor=actor, profile=profile, now=now)


@transaction.atomic(durable=True)
def _close(*, actor: User, profile: MemberProfile, now: dt.datetime) -> MemberProfile:
    profile = _locked_member(profile)
    _close_blockers(actor, profile)  # again, under the member's lock
    before = {"status": profile.status}
    profile.status = MemberProfile.Status.CLOSED
    profile.closed_at = now
    profile.save(update_fields=["status", "closed_at"])
    record(
        actor=actor,
        action="contracts.member_close",
        object_type="member",
        object_id=profile.public_id,
        object_repr=profile.name,
        before=before,
        after={"status": profile.status},
        organisation_id=profile.organisation_id,
        organisation_code=profile.organisation.code,
        now=now,
    )
    profile.organisation = identity.organisation_close(
        actor=actor,
        organisation_id=profile.organisation_id,
        reason="member closed its registration",
        now=now,
    )
    return profile


def factor_phone_of(actor: User) -> str:
    """Masked, for the pages: where the confirmation code goes."""
    profile = active_member_of(actor)
    phone = factor_phone(actor, profile)
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else "****"
