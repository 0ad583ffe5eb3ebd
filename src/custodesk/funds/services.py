"""Deposits and withdrawals (FUND-IN / FUND-OUT): submission, review, and limits.

A member's user submits (:func:`deposit_submit`, :func:`withdrawal_submit`): the
amount is checked (the contract's currency, > 0, within the limits), an individual
confirms with an SMS code, the :class:`~.models.FundMovement` is written — a
withdrawal's amount held on the sub-account in the same transaction, so that it
cannot be spent twice — and handed to the approval engine (``funds.approvals``).  An
enterprise's reviewer approves (:func:`movement_approve`, or the approvals inbox) or
rejects with a reason (:func:`movement_reject`); an individual's request is approved
at once.  Approval sends the transfer to the payment rail (``funds.dispatch``), whose
answer books the money: nothing is credited before the rail confirms.

Limits (:func:`limit_set`): per market, a default for its members and a member's own,
per transaction and per business day, for each direction; staff set them, audited.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from custodesk.approvals import services as approvals
from custodesk.audit.services import record
from custodesk.contracts import services as contracts
from custodesk.contracts.errors import ContractNotActive
from custodesk.contracts.models import Contract
from custodesk.core import access
from custodesk.core.errors import DomainError, FieldError, NotFound, ValidationFailed
from custodesk.core.money import Money
from custodesk.identity import services as identity
from custodesk.identity.models import User
from custodesk.ledger import facade as ledger
from custodesk.markets.models import Market, MarketLedgerAccount
from custodesk.members.models import MemberProfile
from custodesk.notify import services as notify

from . import dispatch as _dispatch
from . import permissions as perms
from .errors import IdempotencyKeyReused, InsufficientFunds, MarketNotOpen, MovementNotPending
from .models import COUNTED, Direction, FundLimit, FundMovement

logger = logging.getLogger("custodesk.funds")

DEPOSIT = "funds.deposit"
WITHDRAWAL = "funds.withdrawal"
ACTIONS: dict[str, str] = {Direction.DEPOSIT: DEPOSIT, Direction.WITHDRAWAL: WITHDRAWAL}
SUBMIT: dict[str, str] = {
    Direction.DEPOSIT: perms.DEPOSIT_SUBMIT,
    Direction.WITHDRAWAL: perms.WITHDRAWAL_SUBMIT,
}
REVIEW: dict[str, str] = {
    Direction.DEPOSIT: perms.DEPOSIT_REVIEW,
    Direction.WITHDRAWAL: perms.WITHDRAWAL_REVIEW,
}
# what an individual's SMS code confirms (identity verification purposes)
PURPOSES: dict[str, str] = {
    Direction.DEPOSIT: "fund_deposit",
    Direction.WITHDRAWAL: "fund_withdrawal",
}
KEY_RE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")

# re-exported: the rail side (funds.dispatch) is part of this interface
dispatch = _dispatch.dispatch
reconcile = _dispatch.reconcile
resolve_execute = _dispatch.resolve_execute
event = _dispatch.event
movement_state = _dispatch.movement_state
fmt = _dispatch.fmt


@dataclass(frozen=True)
class Submission:
    movement: FundMovement
    request_id: str  # the approval request ("" for a replay of an abandoned one)
    executed: bool  # approved at once (an individual member)
    replayed: bool = False  # an earlier submission under the same idempotency key


# -- reading the inputs -----------------------------------------------------------------
def parse_amount(value: Any, currency: str) -> Money:
    """An amount in ``currency``: a decimal with at most its minor units, > 0."""
    if isinstance(value, float):
        value = str(value)
    amount = Money.from_decimal(value if value is not None else "", currency, field="amount")
    if amount.minor <= 0:
        raise ValidationFailed.single(
            "amount", "min_value", _("Enter an amount greater than zero.")
        )
    return amount


def _key(value: str | None) -> str:
    key = (value or "").strip()
    if not KEY_RE.match(key):
        raise ValidationFailed.single(
            "idempotency_key",
            "pattern",
            _("Give each request its own key: 1-64 letters, digits, '.', '_', ':' or '-'."),
        )
    return key


def _own_contract(profile: MemberProfile, contract_id: UUID | str) -> Contract:
    c = (
        Contract.objects.select_related("market", "card", "member__organisation")
        .filter(public_id=contract_id, member=profile)
        .first()
    )
    if c is None:
        raise NotFound(object="contract", field="contract_id")
    if c.status != Contract.Status.ACTIVE or c.sub_ledger_account_id is None:
        raise ContractNotActive(state=c.status)
    if c.market.status != Market.Status.ACTIVE:
        raise MarketNotOpen()
    return c


def summary_account_id(market: Market, currency: str) -> int:
    return int(MarketLedgerAccount.objects.get(market=market, currency=currency).summary_account_id)


# -- limits -------------------------------------------------------------------------------
def effective_limit(
    *, market: Market, member: MemberProfile, direction: str, currency: str
) -> FundLimit | None:
    """The member's own limit, else the market's default (None: unlimited)."""
    rows = FundLimit.objects.filter(market=market, direction=direction, currency=currency)
    return rows.filter(member=member).first() or rows.filter(member__isnull=True).first()


def used_today(contract: Contract, direction: str, business_date: dt.date) -> int:
    """Minor units submitted on the business date and not refused (daily limit)."""
    total = FundMovement.objects.filter(
        contract=contract, direction=direction, business_date=business_date, status__in=COUNTED
    ).aggregate(s=Sum("amount"))["s"]
    return int(total or 0)


def check_limits(contract: Contract, direction: str, amount: Money, business_date: dt.date) -> None:
    """Raise ValidationFailed on ``amount`` (``per_transaction_limit`` /
    ``daily_limit``) saying what the limit is, what is used and what is left."""
    limit = effective_limit(
        market=contract.market,
        member=contract.member,
        direction=direction,
        currency=amount.currency,
    )
    if limit is None:
        return
    c = amount.currency
    deposit = direction == Direction.DEPOSIT
    if limit.per_transaction is not None and amount.minor > limit.per_transaction:
        text = (
            _("One deposit with this market may be at most %(limit)s.")
            if deposit
            else _("One withdrawal with this market may be at most %(limit)s.")
        )
        raise ValidationFailed.single(
            "amount",
            "per_transaction_limit",
            text % {"limit": fmt(Money(limit.per_transaction, c))},
        )
    if limit.daily is not None:
        used = used_today(contract, direction, business_date)
        if used + amount.minor > limit.daily:
            text = (
                _(
                    "The deposits of one day with this market may add up to %(limit)s: "
                    "%(used)s used today, %(left)s left."
                )
                if deposit
                else _(
                    "The withdrawals of one day with this market may add up to %(limit)s: "
                    "%(used)s used today, %(left)s left."
                )
            )
            raise ValidationFailed.single(
                "amount",
                "daily_limit",
                text
                % {
                    "limit": fmt(Money(limit.daily, c)),
                    "used": fmt(Money(used, c)),
                    "left": fmt(Money(max(0, limit.daily - used), c)),
                },
            )


def _limit_value(value: Any, currency: str, field: str) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        m = Money.from_decimal(str(value) if isinstance(value, Decimal) else value, currency, field)
    except TypeError:
        raise ValidationFailed.single(field, "decimal", _("Enter a decimal number.")) from None
    if m.minor <= 0:
        raise ValidationFailed.single(
            field, "min_value", _("Enter an amount greater than zero, or leave it blank.")
        )
    return m.minor


def _limit_dict(row: FundLimit | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"per_transaction": row.per_transaction, "daily": row.daily, "currency": row.currency}


@transaction.atomic(durable=True)
def limit_set(
    *,
    actor: User,
    market_id: UUID | str,
    direction: str,
    currency: str,
    per_transaction: Any = None,
    daily: Any = None,
    member_id: UUID | str | None = None,
    now: dt.datetime,
) -> FundLimit | None:
    """Set the market's default limit (``member_id`` None) or a member's own, for one
    direction and currency; amounts as decimals, blank/None for no limit.  Both blank
    removes the row (a member's own: the market's default applies again).  Audited.
    Raises PermissionDenied, NotFound (market, member), ValidationFailed."""
    access.require(actor, perms.LIMIT_MANAGE)
    market = Market.objects.filter(public_id=market_id).first()
    if market is None:
        raise NotFound(object="market", field="market_id")
    problems: list[FieldError] = []
    if direction not in Direction.values:
        problems.append(FieldError("direction", "choice", _("Choose deposit or withdrawal.")))
    if currency not in (market.currencies or []):
        problems.append(
            FieldError("currency", "choice", _("The market does not settle in this currency."))
        )
    if problems:
        raise ValidationFailed(problems)
    member = None
    if member_id is not None:
        member = MemberProfile.objects.filter(public_id=member_id).first()
        if member is None:
            raise NotFound(object="member", field="member_id")
    per_tx = _limit_value(per_transaction, currency, "per_transaction")
    per_day = _limit_value(daily, currency, "daily")
    if per_tx is not None and per_day is not None and per_tx > per_day:
        raise ValidationFailed.single(
            "per_transaction", "above_daily", _("The limit of one transaction exceeds the day's.")
        )
    row = (
        FundLimit.objects.select_for_update()
        .filter(market=market, member=member, direction=direction, currency=currency)
        .first()
    )
    before = _limit_dict(row)
    if per_tx is None and per_day is None:
        if row is not None:
            row.delete()
        row = None
    else:
        row = row or FundLimit(market=market, member=member, direction=direction, currency=currency)
        row.per_transaction, row.daily = per_tx, per_day
        row.updated_at, row.updated_by = now, actor
        row.save()
    record(
        actor=actor,
        action="funds.limit_set",
        object_type="funds.limit",
        object_id=market.public_id,  # the limits of one market (which: object_repr)
        object_repr=f"{market.code} {member.name if member else '*'} {direction} {currency}"[:200],
        before=before,
        after=_limit_dict(row),
        now=now,
    )
    return row


# -- submission ---------------------------------------------------------------------------
def _replay(m: FundMovement, direction: str, contract_id: Any, amount: Any) -> Submission:
    try:
        same_amount = parse_amount(amount, m.currency).minor == m.amount
    except (ValidationFailed, TypeError):
        same_amount = False
    if m.direction != direction or str(m.contract.public_id) != str(contract_id) or not same_amount:
        raise IdempotencyKeyReused(field="idempotency_key")
    return Submission(m, m.approval_request_id, False, replayed=True)


def _available(contract: Contract, actor: User) -> ledger.Balances:
    assert contract.sub_ledger_account_id is not None
    return ledger.balances(actor=actor, account_id=contract.sub_ledger_account_id)


def _insufficient(contract: Contract, actor: User, amount: Money) -> InsufficientFunds:
    b = _available(contract, actor)
    return InsufficientFunds(available=str(b.available.to_decimal()), currency=amount.currency)


@transaction.atomic(durable=True)
def _create(
    *,
    actor: User,
    contract: Contract,
    direction: str,
    amount: Money,
    key: str,
    now: dt.datetime,
    business_date: dt.date,
) -> FundMovement:
    """The movement, a withdrawal's hold, the first state row and the audit row, in one
    transaction; the contract row is locked so the daily limit counts one at a time."""
    Contract.objects.select_for_update().filter(pk=contract.pk).first()
    check_limits(contract, direction, amount, business_date)
    m = FundMovement(
        direction=direction,
        member=contract.member,
        contract=contract,
        market=contract.market,
        amount=amount.minor,
        currency=amount.currency,
        idempotency_key=key,
        business_date=business_date,
        card=contract.card,
        card_masked=contract.card.masked_number,
        card_bank_code=contract.card.bank_code,
        submitted_by=actor,
        created_at=now,
        updated_at=now,
    )
    if direction == Direction.WITHDRAWAL:
        assert contract.sub_ledger_account_id is not None
        try:
            hold = ledger.hold(
                actor=actor,
                debit_account_id=contract.sub_ledger_account_id,
                credit_account_id=summary_account_id(contract.market, amount.currency),
                amount=amount,
                kind="withdrawal_hold",
                metadata={"movement": str(m.public_id), "member_code": contract.member_code},
                idempotency_key=f"funds:{m.public_id}:hold",
                now=now,
                business_date=business_date,
            )
        except ledger.ExceedsCredits:
            raise _insufficient(contract, actor, amount) from None
        m.hold_transfer_id = hold.id
    with transaction.atomic():  # a savepoint: a concurrent retry may have taken the key
        m.save(force_insert=True)
    event(m, actor=actor, to_status=m.status, now=now, data={"amount": fmt(amount)})
    record(
        actor=actor,
        action=f"funds.{direction}_submit",
        object_type="funds.movement",
        object_id=m.public_id,
        object_repr=f"{contract.market.code} {contract.member_code} {fmt(amount)}"[:200],
        after=movement_state(m),
        organisation_id=contract.member.organisation_id,
        organisation_code=contract.member.organisation.code,
        now=now,
    )
    return m


@transaction.atomic(durable=True)
def _abandon(movement_id: int, *, error: DomainError, now: dt.datetime) -> None:
    """The approval engine refused the request: the movement ends rejected, its hold
    released (the member sees why)."""
    m = FundMovement.objects.select_for_update().get(pk=movement_id)
    if m.status != FundMovement.Status.SUBMITTED:
        return
    _dispatch.reject_within(
        m, actor=None, reason_code=error.code, reason=str(error.detail or error.title), now=now
    )


def _submit(
    direction: str,
    *,
    actor: User,
    contract_id: UUID | str,
    amount: Any,
    idempotency_key: str | None,
    challenge_id: UUID | None,
    sms_code: str | None,
    comment: str,
    now: dt.datetime,
    business_date: dt.date,
) -> Submission:
    access.require(actor, SUBMIT[direction])
    profile = contracts.active_member_of(actor)
    key = _key(idempotency_key)
    earlier = (
        FundMovement.objects.select_related("contract")
        .filter(member=profile, idempotency_key=key)
        .first()
    )
    if earlier is not None:
        return _replay(earlier, direction, contract_id, amount)
    contract = _own_contract(profile, contract_id)
    money = parse_amount(amount, contract.currency)
    check_limits(contract, direction, money, business_date)  # before the SMS code is used
    if direction == Direction.WITHDRAWAL and _available(contract, actor).available.minor < (
        money.minor
    ):
        raise _insufficient(contract, actor, money)
    if contracts.is_individual(profile):
        contracts.second_factor(
            actor=actor,
            profile=profile,
            purpose=PURPOSES[direction],
            challenge_id=challenge_id,
            sms_code=sms_code,
            now=now,
        )
    try:
        m = _create(
            actor=actor,
            contract=contract,
            direction=direction,
            amount=money,
            key=key,
            now=now,
            business_date=business_date,
        )
    except IntegrityError:
        earlier = FundMovement.objects.filter(member=profile, idempotency_key=key).first()
        if earlier is None:
            raise
        return _replay(earlier, direction, contract_id, amount)
    try:
        sub = approvals.submit(
            actor=actor,
            action_type=ACTIONS[direction],
            payload={"movement_id": str(m.public_id)},
            comment=comment,
            now=now,
        )
    except DomainError as exc:
        _abandon(m.pk, error=exc, now=now)
        raise
    request_id = str(sub.request.public_id)
    FundMovement.objects.filter(pk=m.pk).update(approval_request_id=request_id)
    if sub.executed:
        _dispatch.dispatch(movement_id=m.public_id, now=now)
    m.refresh_from_db()
    return Submission(m, request_id, sub.executed)


def deposit_submit(
    *,
    actor: User,
    contract_id: UUID | str,
    amount: Any,
    idempotency_key: str | None,
    challenge_id: UUID | None = None,
    sms_code: str | None = None,
    comment: str = "",
    now: dt.datetime,
    business_date: dt.date,
) -> Submission:
    """Submit a deposit (FUND-IN) from the bound card into the contract's sub-account.
    Nothing is credited until the rail confirms the transfer.  The same
    ``idempotency_key`` again answers the first submission (``replayed``).

    Raises PermissionDenied, NotAMember / MemberClosed, NotFound (``contract_id``: not
    the member's), ContractNotActive, MarketNotOpen, ValidationFailed (``amount``:
    ``decimal``, ``min_value``, ``per_transaction_limit``, ``daily_limit``;
    ``idempotency_key``; ``sms_code``), InvalidVerificationCode, IdempotencyKeyReused."""
    return _submit(
        Direction.DEPOSIT,
        actor=actor,
        contract_id=contract_id,
        amount=amount,
        idempotency_key=idempotency_key,
        challenge_id=challenge_id,
        sms_code=sms_code,
        comment=comment,
        now=now,
        business_date=business_date,
    )


def withdrawal_submit(
    *,
    actor: User,
    contract_id: UUID | str,
    amount: Any,
    idempotency_key: str | None,
    challenge_id: UUID | None = None,
    sms_code: str | None = None,
    comment: str = "",
    now: dt.datetime,
    business_date: dt.date,
) -> Submission:
    """Submit a withdrawal (FUND-OUT) to the bound card: the amount is held on the
    sub-account at once (frozen, not available) until the reviewer and the rail
    decide.  Raises :func:`deposit_submit`'s errors and InsufficientFunds (nothing
    held, the SMS code not used)."""
    return _submit(
        Direction.WITHDRAWAL,
        actor=actor,
        contract_id=contract_id,
        amount=amount,
        idempotency_key=idempotency_key,
        challenge_id=challenge_id,
        sms_code=sms_code,
        comment=comment,
        now=now,
        business_date=business_date,
    )


def sms_code_send(*, actor: User, direction: str, now: dt.datetime) -> Any:
    """Send the SMS code an individual member confirms a deposit or withdrawal with.
    Raises ValidationFailed (direction, no mobile), PermissionDenied, NotAMember,
    CodeThrottled."""
    if direction not in Direction.values:
        raise ValidationFailed.single("direction", "choice", _("Choose deposit or withdrawal."))
    access.require(actor, SUBMIT[direction])
    profile = contracts.active_member_of(actor)
    phone = contracts.factor_phone(actor, profile)
    if not phone:
        raise ValidationFailed.single("phone", "required", _("No mobile number is registered."))
    return identity.verification_send(
        purpose=PURPOSES[direction],
        phone=phone,
        language=actor.language or profile.language,
        now=now,
    )


# -- review -------------------------------------------------------------------------------
def own_movement(actor: User, movement_id: UUID | str) -> FundMovement:
    """A movement of the actor's member organisation; staff see every one (NotFound
    otherwise — another member's movement does not exist for this user)."""
    qs = FundMovement.objects.select_related("market", "contract", "member")
    if not actor.is_staff_member():
        qs = qs.filter(member__organisation_id=actor.organisation_id)
    m = qs.filter(public_id=movement_id).first()
    if m is None:
        raise NotFound(object="movement")
    return m


def _pending(actor: User, movement_id: UUID | str) -> FundMovement:
    m = own_movement(actor, movement_id)
    if actor.is_staff_member():
        raise NotFound(object="movement")  # staff never review a member's request
    access.require(actor, REVIEW[m.direction])
    if m.status != FundMovement.Status.SUBMITTED or not m.approval_request_id:
        raise MovementNotPending(state=m.status)
    return m


def movement_approve(
    *, actor: User, movement_id: UUID | str, comment: str = "", now: dt.datetime
) -> FundMovement:
    """The member's reviewer approves: the request is executed and the transfer sent to
    the rail at once (its answer decides the outcome).  Raises NotFound,
    PermissionDenied, MovementNotPending, and the approval engine's refusals
    (InitiatorCannotApprove, NotAnApprover, PreconditionFailed ...)."""
    m = _pending(actor, movement_id)
    approvals.approve(actor=actor, request_id=m.approval_request_id, comment=comment, now=now)
    return _dispatch.dispatch(movement_id=m.public_id, now=now)


def movement_reject(
    *, actor: User, movement_id: UUID | str, reason: str, now: dt.datetime
) -> FundMovement:
    """The member's reviewer rejects with a reason: a withdrawal's hold is released.
    Raises ValidationFailed (``reason`` required) and :func:`movement_approve`'s."""
    m = _pending(actor, movement_id)
    approvals.reject(actor=actor, request_id=m.approval_request_id, reason=reason, now=now)
    m.refresh_from_db()
    return m


# -- staff: unknown outcomes and market webhooks ------------------------------------------
def resolve_submit(
    *,
    actor: User,
    movement_id: UUID | str,
    outcome: str,
    reason: str,
    bank_reference: str = "",
    now: dt.datetime,
) -> approvals.Submitted:
    """A staff user proposes how a transfer with an unknown outcome ended (``succeeded``
    or ``failed``, with the bank's reference and why); another staff user holding
    ``funds.unknown.resolve`` approves, which books it (dual control).  Raises
    PermissionDenied, NotFound, OutcomeNotUnknown, ValidationFailed,
    DuplicatePendingRequest."""
    access.require(actor, perms.RESOLVE)
    problems: list[FieldError] = []
    if outcome not in ("succeeded", "failed"):
        problems.append(FieldError("outcome", "choice", _("Choose succeeded or failed.")))
    if not (reason or "").strip():
        problems.append(FieldError("reason", "required", _("Say how the outcome was confirmed.")))
    elif len(reason) > 500:
        problems.append(FieldError("reason", "max_length", _("At most 500 characters.")))
    if len(bank_reference or "") > 64:
        problems.append(FieldError("bank_reference", "max_length", _("At most 64 characters.")))
    if problems:
        raise ValidationFailed(problems)
    m = own_movement(actor, movement_id)
    return approvals.submit(
        actor=actor,
        action_type="funds.resolve",
        payload={
            "movement_id": str(m.public_id),
            "outcome": outcome,
            "bank_reference": (bank_reference or "").strip(),
            "reason": reason.strip(),
        },
        now=now,
    )


def market_webhook_save(
    *,
    actor: User,
    market_id: UUID | str,
    url: str,
    secret: str | None = None,
    active: bool = True,
    now: dt.datetime,
) -> str:
    """Set where a market's notifications go (its outbox webhook endpoint
    ``market-<code>``: URL, HMAC signing secret, on/off).  Returns the endpoint code.
    Raises PermissionDenied, NotFound, ValidationFailed (URL, secret)."""
    access.require(actor, perms.LIMIT_MANAGE)
    market = Market.objects.filter(public_id=market_id).first()
    if market is None:
        raise NotFound(object="market", field="market_id")
    code = _dispatch.endpoint_code(market)
    notify.endpoint_save(actor=actor, code=code, url=url, secret=secret, active=active, now=now)
    return code
