"""Contracts: signing, cancelling, and what the market reports (CT-SIGN / M-SIGN,
CT-CANCEL / M-CANCEL).

Signing and cancelling are approvable actions (``contracts.approvals``): the
interfaces submit them with :func:`sign_submit` / :func:`cancel_submit`, which run
the checks below, take an individual member's SMS code, and hand the command to the
approval engine.  An enterprise's operator submits and its reviewer (role
``custody_reviewer``, another user) approves or rejects with a reason; an
individual's request is applied at once once the SMS code is right.  The engine
re-runs the checks when the request is approved and calls the ``*_execute``
functions in the decision's transaction.

Other modules extend the cancel conditions with :func:`register_cancel_blocker`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from custodesk.approvals import services as approvals
from custodesk.audit.services import record
from custodesk.core import access
from custodesk.core.errors import FieldError, NotFound, ValidationFailed
from custodesk.identity import services as identity
from custodesk.identity.models import Organisation, User
from custodesk.ledger import facade as ledger
from custodesk.markets.models import Market, MarketLedgerAccount
from custodesk.members.models import BoundCard, MemberProfile, MemberType

from . import blockers
from . import permissions as perms
from .errors import ContractNotActive, MemberClosed, NotAMember
from .models import Contract, ContractMarketState

SIGN = "contracts.sign"
CANCEL = "contracts.cancel"
# what the SMS codes of this module are for (identity verification purposes), and the
# permission asking for one needs
PURPOSE_SIGN = "contract_sign"
PURPOSE_CANCEL = "contract_cancel"
PURPOSE_CARD = "member_card_change"
PURPOSE_INFO = "member_info_change"
PURPOSE_PHONE = "member_phone_change"  # sent to the new number (selfservice.phone_code_send)
PURPOSE_CLOSE = "member_close"
PURPOSES = {
    PURPOSE_SIGN: perms.CONTRACT_SUBMIT,
    PURPOSE_CANCEL: perms.CONTRACT_SUBMIT,
    PURPOSE_CARD: perms.MEMBER_MAINTAIN,
    PURPOSE_INFO: perms.MEMBER_MAINTAIN,
    PURPOSE_CLOSE: perms.MEMBER_MAINTAIN,
}

MEMBER_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")


def register_cancel_blocker(code: str, check: Any, *, order: int = 100) -> None:
    """Add a condition that forbids a cancel (see ``contracts.blockers``)."""
    blockers.register(code, check, order=order)


# -- who is asking ---------------------------------------------------------------------
def member_of(actor: User) -> MemberProfile:
    """The member profile of the actor's organisation (NotAMember otherwise)."""
    profile = (
        MemberProfile.objects.select_related("organisation")
        .filter(organisation_id=actor.organisation_id)
        .first()
    )
    if profile is None:
        raise NotAMember()
    return profile


def active_member_of(actor: User) -> MemberProfile:
    profile = member_of(actor)
    if (
        profile.status != MemberProfile.Status.ACTIVE
        or profile.organisation.status != Organisation.Status.ACTIVE
    ):
        raise MemberClosed()
    return profile


def is_individual(profile: MemberProfile) -> bool:
    return profile.member_type == MemberType.INDIVIDUAL


def sms_phone(profile: MemberProfile) -> str:
    """Where an individual member's SMS codes go: the registered mobile."""
    return profile.mobile


def factor_phone(actor: User, profile: MemberProfile) -> str:
    """Where the actor's confirmation codes go: an individual's registered mobile; an
    enterprise user's own mobile (else the enterprise's registered one)."""
    return sms_phone(profile) if is_individual(profile) else (actor.phone or profile.mobile)


def second_factor(
    *,
    actor: User,
    profile: MemberProfile,
    purpose: str,
    challenge_id: UUID | None,
    sms_code: str | None,
    now: dt.datetime,
) -> None:
    """The actor confirms with the SMS code sent for ``purpose`` (:func:`sms_code_send`).
    Checked, and a failure counted, in identity's own transaction: call it before the
    use case's.  Raises ValidationFailed (missing), InvalidVerificationCode."""
    if challenge_id is None or not sms_code:
        raise ValidationFailed.single(
            "sms_code", "required", _("Enter the SMS code sent to your mobile.")
        )
    identity.verification_check(
        challenge_id=challenge_id,
        purpose=purpose,
        phone=factor_phone(actor, profile),
        code=sms_code,
        now=now,
    )


# -- signing -----------------------------------------------------------------------------
@dataclass(frozen=True)
class SignPlan:
    """What a signing check found (the same at submission and at approval)."""

    profile: MemberProfile
    market: Market
    card: BoundCard
    member_code: str
    currency: str
    agreement_version: int


def offering_markets() -> list[Market]:
    """Active markets offering custody contracts: a service agreement is in force."""
    return list(
        Market.objects.filter(status=Market.Status.ACTIVE, agreement_version__gte=1).order_by(
            "code"
        )
    )


def sign_check(
    *,
    actor: User,
    market_id: UUID,
    member_code: str,
    card_id: UUID,
    currency: str | None,
    agreement_version: int,
    agreement_accepted: bool,
) -> SignPlan:
    """Check a signing (read only).  Raises NotAMember, MemberClosed, NotFound (a card
    that is not the member's), ValidationFailed
    naming the field and rule (``market_id`` ``not_offered`` / ``already_signed``,
    ``member_code`` ``pattern`` / ``duplicate``, ``card_id`` ``not_current`` /
    ``holder_name_mismatch``, ``currency`` ``choice``, ``agreement_version``
    ``outdated``, ``agreement_accepted`` ``required``)."""
    access.require(actor, perms.CONTRACT_SUBMIT)
    profile = active_member_of(actor)
    errors: list[FieldError] = []
    market = Market.objects.filter(public_id=market_id).first()
    if market is None or market.status != Market.Status.ACTIVE or market.agreement_version < 1:
        raise ValidationFailed.single(
            "market_id", "not_offered", _("This market does not offer custody contracts.")
        )
    if Contract.objects.filter(
        member=profile, market=market, status=Contract.Status.ACTIVE
    ).exists():
        errors.append(
            FieldError(
                "market_id", "already_signed", _("The member has a contract with this market.")
            )
        )
    code = (member_code or "").strip()
    if not MEMBER_CODE_RE.match(code):
        errors.append(
            FieldError(
                "member_code",
                "pattern",
                _("Enter the member code the market assigned: 1-32 letters, digits, - or _."),
            )
        )
    elif Contract.objects.filter(
        market=market, member_code=code, status=Contract.Status.ACTIVE
    ).exists():
        errors.append(
            FieldError(
                "member_code", "duplicate", _("This member code is already signed in this market.")
            )
        )
    card = BoundCard.objects.filter(public_id=card_id, member=profile).first()
    if card is None:  # another member's card is not found, as if it did not exist
        raise NotFound(object="card", field="card_id")
    if card.status != BoundCard.Status.CURRENT:
        errors.append(
            FieldError("card_id", "not_current", _("This card was replaced: choose the bound one."))
        )
    elif card.holder_name.strip() != profile.name.strip():
        errors.append(
            FieldError(
                "card_id",
                "holder_name_mismatch",
                _("The card holder's name must be the member's name."),
            )
        )
    chosen = currency or (market.currencies[0] if market.currencies else "")
    if (
        chosen not in (market.currencies or [])
        or not MarketLedgerAccount.objects.filter(market=market, currency=chosen).exists()
    ):
        errors.append(
            FieldError("currency", "choice", _("The market does not settle in this currency."))
        )
    if agreement_version != market.agreement_version:
        errors.append(
            FieldError(
                "agreement_version",
                "outdated",
                _("Read and accept the service agreement in force (version %(v)s).")
                % {"v": market.agreement_version},
            )
        )
    if agreement_accepted is not True:
        errors.append(
            FieldError("agreement_accepted", "required", _("Accept the service agreement to sign."))
        )
    if errors:
        raise ValidationFailed(errors)
    assert card is not None
    return SignPlan(profile, market, card, code, chosen, market.agreement_version)


def _insert(
    plan: SignPlan,
    initiator: User,
    approver: User | None,
    accepted_at: dt.datetime,
    request_id: str,
    now: dt.datetime,
) -> Contract:
    return Contract.objects.create(
        member=plan.profile,
        market=plan.market,
        member_code=plan.member_code,
        card=plan.card,
        currency=plan.currency,
        agreement_version=plan.agreement_version,
        agreement_accepted_at=accepted_at,
        submitted_by=initiator,
        approved_by=approver,
        sign_request_id=request_id,
        signed_at=now,
    )


def sign_execute(
    *,
    initiator: User,
    approver: User | None,
    plan: SignPlan,
    accepted_at: dt.datetime,
    request_id: str,
    now: dt.datetime,
) -> Contract:
    """Create the contract and open its custody sub-account (inside the approval's
    transaction).  ``debits_must_not_exceed_credits``: a member's money is never
    overdrawn."""
    try:
        with transaction.atomic():  # a savepoint: a concurrent signing may have won the code
            contract = _insert(plan, initiator, approver, accepted_at, request_id, now)
    except IntegrityError:
        raise ValidationFailed.single(
            "member_code", "duplicate", _("This member code is already signed in this market.")
        ) from None
    account = ledger.open_account(
        actor=approver or initiator,
        code=f"SUB-{plan.market.code}-{contract.pk:08d}",
        kind=ledger.AccountKind.MEMBER_SUB,
        currency=plan.currency,
        name=f"{plan.profile.name} / {plan.market.code} {plan.member_code}"[:200],
        owner=ledger.Owner(
            type="contract",
            id=str(contract.public_id),
            organisation_id=plan.profile.organisation_id,
        ),
        rule=ledger.BalanceRule.DEBITS_MUST_NOT_EXCEED_CREDITS,
        now=now,
    )
    contract.sub_ledger_account_id = account.id
    contract.save(update_fields=["sub_ledger_account_id"])
    record(
        actor=approver or initiator,
        action="contracts.contract_sign",
        object_type="contract",
        object_id=contract.public_id,
        object_repr=f"{plan.market.code} {plan.member_code}",
        after=contract_state(contract),
        approval_request_id=request_id,
        organisation_id=plan.profile.organisation_id,
        organisation_code=plan.profile.organisation.code,
        now=now,
    )
    return contract


def contract_state(c: Contract) -> dict[str, Any]:
    return {
        "status": c.status,
        "market": c.market.code,
        "member_code": c.member_code,
        "card": c.card.masked_number,
        "currency": c.currency,
        "agreement_version": c.agreement_version,
        "agreement_accepted_at": c.agreement_accepted_at.isoformat(),
        "sub_account_id": c.sub_ledger_account_id,
    }


def _verified(
    *,
    actor: User,
    profile: MemberProfile,
    purpose: str,
    challenge_id: UUID | None,
    sms_code: str | None,
    now: dt.datetime,
) -> None:
    """An individual member confirms with an SMS code to its registered mobile (an
    enterprise has its reviewer instead)."""
    if is_individual(profile):
        second_factor(
            actor=actor,
            profile=profile,
            purpose=purpose,
            challenge_id=challenge_id,
            sms_code=sms_code,
            now=now,
        )


def sign_submit(
    *,
    actor: User,
    market_id: UUID,
    member_code: str,
    card_id: UUID,
    currency: str | None,
    agreement_version: int,
    agreement_accepted: bool,
    challenge_id: UUID | None = None,
    sms_code: str | None = None,
    comment: str = "",
    now: dt.datetime,
) -> approvals.Submitted:
    """Submit a signing: checked first (nothing consumed when it is refused), then an
    individual's SMS code, then the approval engine (enterprise: waits for a reviewer;
    individual: applied at once).  The agreement's version and the acceptance time
    (``now``) travel with the request.  Raises the :func:`sign_check` errors,
    identity's InvalidVerificationCode, DuplicatePendingRequest."""
    plan = sign_check(
        actor=actor,
        market_id=market_id,
        member_code=member_code,
        card_id=card_id,
        currency=currency,
        agreement_version=agreement_version,
        agreement_accepted=agreement_accepted,
    )
    _verified(
        actor=actor,
        profile=plan.profile,
        purpose=PURPOSE_SIGN,
        challenge_id=challenge_id,
        sms_code=sms_code,
        now=now,
    )
    return approvals.submit(
        actor=actor,
        action_type=SIGN,
        payload={
            "market_id": str(plan.market.public_id),
            "member_code": plan.member_code,
            "card_id": str(plan.card.public_id),
            "currency": plan.currency,
            "agreement_version": plan.agreement_version,
            "agreement_accepted": True,
            "accepted_at": now.isoformat(),
        },
        comment=comment,
        now=now,
    )


# -- cancelling -------------------------------------------------------------------------
def _contract_for_member(actor: User, contract_id: UUID) -> Contract:
    c = (
        Contract.objects.select_related("market", "member", "member__organisation", "card")
        .filter(public_id=contract_id, member__organisation_id=actor.organisation_id)
        .first()
    )
    if c is None:
        raise NotFound(object="contract")
    return c


def cancel_check(
    *, actor: User, contract_id: UUID, now: dt.datetime, business_date: dt.date
) -> Contract:
    """Check a cancel (read only).  Raises NotFound (another member's contract),
    ContractNotActive, and the first cancel blocker's refusal
    (``contract_has_open_trades``, ``contract_has_balance``, ``contract_in_dispute``,
    ``contract_moved_funds_today`` or one a module registered)."""
    access.require(actor, perms.CONTRACT_SUBMIT)
    active_member_of(actor)
    c = _contract_for_member(actor, contract_id)
    if c.status != Contract.Status.ACTIVE:
        raise ContractNotActive(state=c.status)
    blockers.run(c, actor=actor, now=now, business_date=business_date)
    return c


def cancel_execute(
    *, initiator: User, approver: User | None, contract: Contract, request_id: str, now: dt.datetime
) -> Contract:
    """Cancel and close the sub-account (inside the approval's transaction)."""
    actor = approver or initiator
    before = contract_state(contract)
    if contract.sub_ledger_account_id is not None:
        ledger.close_account(
            actor=actor,
            account_id=contract.sub_ledger_account_id,
            reason=f"contract cancelled ({contract.market.code} {contract.member_code})",
            now=now,
        )
    contract.status = Contract.Status.CANCELLED
    contract.cancelled_at = now
    contract.cancelled_by = actor
    contract.cancel_request_id = request_id
    contract.save(update_fields=["status", "cancelled_at", "cancelled_by", "cancel_request_id"])
    record(
        actor=actor,
        action="contracts.contract_cancel",
        object_type="contract",
        object_id=contract.public_id,
        object_repr=f"{contract.market.code} {contract.member_code}",
        before=before,
        after=contract_state(contract),
        approval_request_id=request_id,
        organisation_id=contract.member.organisation_id,
        organisation_code=contract.member.organisation.code,
        now=now,
    )
    return contract


def cancel_submit(
    *,
    actor: User,
    contract_id: UUID,
    challenge_id: UUID | None = None,
    sms_code: str | None = None,
    comment: str = "",
    now: dt.datetime,
    business_date: dt.date,
) -> approvals.Submitted:
    """Submit a cancel: checked first, then an individual's SMS code, then the approval
    engine.  Raises the :func:`cancel_check` errors, InvalidVerificationCode,
    DuplicatePendingRequest."""
    c = cancel_check(actor=actor, contract_id=contract_id, now=now, business_date=business_date)
    _verified(
        actor=actor,
        profile=c.member,
        purpose=PURPOSE_CANCEL,
        challenge_id=challenge_id,
        sms_code=sms_code,
        now=now,
    )
    return approvals.submit(
        actor=actor,
        action_type=CANCEL,
        payload={"contract_id": str(c.public_id)},
        comment=comment,
        now=now,
    )


# -- what the market reports --------------------------------------------------------------
def _contract_for_market(actor: User, contract_id: UUID) -> Contract:
    qs = Contract.objects.select_related("market", "member", "member__organisation", "card")
    c = qs.filter(public_id=contract_id).first()
    if c is None or not (
        actor.is_staff_member() or c.market.organisation_id == actor.organisation_id
    ):
        raise NotFound(object="contract")
    return c


def _market_state_dict(s: ContractMarketState | None) -> dict[str, Any]:
    if s is None:
        return {"open_trades": 0, "open_disputes": 0, "note": ""}
    return {"open_trades": s.open_trades, "open_disputes": s.open_disputes, "note": s.note}


@transaction.atomic(durable=True)
def market_state_report(
    *,
    actor: User,
    contract_id: UUID,
    open_trades: int,
    open_disputes: int,
    note: str = "",
    now: dt.datetime,
) -> ContractMarketState:
    """The market's staff report a contract's unsettled trades and open disputes (the
    latest report replaces the previous one; both are in the operation record).
    Raises PermissionDenied, NotFound (another market's contract), ValidationFailed."""
    access.require(actor, perms.MARKET_STATE_REPORT)
    c = _contract_for_market(actor, contract_id)
    Contract.objects.select_for_update().filter(pk=c.pk).first()  # one report at a time
    errors = [
        FieldError(name, "min_value", _("Enter a number of zero or more."))
        for name, value in (("open_trades", open_trades), ("open_disputes", open_disputes))
        if value < 0 or value > 1_000_000
    ]
    if len(note) > 500:
        errors.append(FieldError("note", "max_length", _("At most 500 characters.")))
    if errors:
        raise ValidationFailed(errors)
    state = ContractMarketState.objects.select_for_update().filter(contract=c).first()
    before = _market_state_dict(state)
    if state is None:
        state = ContractMarketState(contract=c)
    state.open_trades = open_trades
    state.open_disputes = open_disputes
    state.note = note.strip()
    state.reported_at = now
    state.reported_by = actor
    state.save()
    record(
        actor=actor,
        action="contracts.market_state_report",
        object_type="contract",
        object_id=c.public_id,
        object_repr=f"{c.market.code} {c.member_code}",
        before=before,
        after=_market_state_dict(state),
        organisation_id=c.market.organisation_id,
        now=now,
    )
    return state


# -- SMS codes --------------------------------------------------------------------------
def sms_code_send(*, actor: User, purpose: str, now: dt.datetime) -> Any:
    """Send the code that confirms one of this module's actions (``purpose``: sign,
    cancel, card change, member data, closing) to :func:`factor_phone`.  Raises
    ValidationFailed (unknown purpose, no mobile), PermissionDenied (the purpose's
    permission), NotAMember, identity's CodeThrottled (429)."""
    if purpose not in PURPOSES:
        raise ValidationFailed.single("purpose", "choice", _("Not a valid choice."))
    access.require(actor, PURPOSES[purpose])
    profile = active_member_of(actor)
    phone = factor_phone(actor, profile)
    if not phone:
        raise ValidationFailed.single("phone", "required", _("No mobile number is registered."))
    return identity.verification_send(
        purpose=purpose, phone=phone, language=actor.language or profile.language, now=now
    )
