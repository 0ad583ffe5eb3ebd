"""Deposits, withdrawals and manual resolutions are approvable actions.

``funds.deposit`` / ``funds.withdrawal``: the member organisation's checker — role
``custody_reviewer`` (the administrators when it has none), never the submitter, holding
``custody.deposit.review`` / ``custody.withdrawal.review`` when deciding.  An individual
member has no second user: its requests apply at once (its SMS code, checked before
submission, is the confirmation).  Execution marks the movement approved and sends it to
the rail once the decision has committed; a reject, a withdrawal by the submitter or an
expiry ends it rejected and releases a withdrawal's hold.

``funds.resolve``: the staff settle a transfer whose outcome the rail cannot tell
(dual control: another staff user holding ``funds.unknown.resolve`` approves).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal
from uuid import UUID

from django.utils.translation import gettext_lazy as _
from pydantic import BaseModel, Field

from custodesk.approvals.registry import ActionType, DefaultLevel, Preview, register
from custodesk.audit.services import AuditEntry, record_many
from custodesk.contracts.errors import ContractNotActive
from custodesk.contracts.models import Contract
from custodesk.core import access
from custodesk.core.errors import DomainError, NotFound
from custodesk.core.money import Money
from custodesk.identity.models import Organisation, User
from custodesk.markets.models import Market
from custodesk.members.models import MemberProfile, MemberType

from . import batch, dispatch
from . import permissions as perms
from .errors import MarketNotOpen, MovementNotPending, OutcomeNotUnknown
from .models import Direction, FundMovement

REVIEWER_ROLE = "custody_reviewer"
RESOLVER_ROLE = "custody_operations"
DEPOSIT = "funds.deposit"
WITHDRAWAL = "funds.withdrawal"
RESOLVE = "funds.resolve"


class MovementPayload(BaseModel):
    movement_id: UUID


class ResolvePayload(BaseModel):
    movement_id: UUID
    outcome: Literal["succeeded", "failed"]
    bank_reference: str = Field(default="", max_length=64)
    reason: str = Field(min_length=1, max_length=500)


def member_review(org: Organisation) -> list[DefaultLevel] | None:
    """Enterprise: one reviewer (not the submitter); individual: applied at once."""
    member_type = (
        MemberProfile.objects.filter(organisation=org).values_list("member_type", flat=True).first()
    )
    if member_type == MemberType.INDIVIDUAL:
        return []
    return [DefaultLevel(role_codes=(REVIEWER_ROLE,), name="reviewer")]


def staff_second_pair(org: Organisation) -> list[DefaultLevel]:
    return [DefaultLevel(role_codes=(RESOLVER_ROLE, "admin"), name="second officer")]


def _movement(payload: MovementPayload, actor: User) -> FundMovement:
    m = (
        FundMovement.objects.select_related("market", "contract", "member__organisation")
        .filter(public_id=payload.movement_id, member__organisation_id=actor.organisation_id)
        .first()
    )
    if m is None:
        raise NotFound(object="movement")
    return m


def _check(direction: str, actor: User, payload: MovementPayload) -> Preview:
    m = _movement(payload, actor)
    if m.direction != direction:
        raise NotFound(object="movement")
    if m.status != FundMovement.Status.SUBMITTED:
        raise MovementNotPending(state=m.status)
    if m.contract.status != Contract.Status.ACTIVE:
        raise ContractNotActive(state=m.contract.status)
    if m.market.status != Market.Status.ACTIVE:
        raise MarketNotOpen()
    amount = Money(m.amount, m.currency)
    return Preview(
        object_type="funds.movement",
        object_id=str(m.public_id),
        dedup_key=str(m.public_id),
        before=None,
        after={
            "direction": m.direction,
            "market": f"{m.market.code} {m.market.name}",
            "member_code": m.contract.member_code,
            "amount": str(amount.to_decimal()),
            "currency": m.currency,
            "card": m.card_masked,
        },
        amount=amount,
    )


def check_deposit(*, actor: User, payload: MovementPayload, now: dt.datetime) -> Preview:
    return _check(Direction.DEPOSIT, actor, payload)


def check_withdrawal(*, actor: User, payload: MovementPayload, now: dt.datetime) -> Preview:
    return _check(Direction.WITHDRAWAL, actor, payload)


def execute_movement(
    *,
    initiator: User,
    approver: User | None,
    payload: MovementPayload,
    request: Any,
    now: dt.datetime,
) -> dict[str, Any]:
    """One approval: the bulk path (:mod:`custodesk.funds.batch`) with a lot of one."""
    direction = Direction.WITHDRAWAL if request.action_type == WITHDRAWAL else Direction.DEPOSIT
    rows: list[AuditEntry] = []
    answer = batch.approve_many(direction, approver, [(request, payload)], now=now, audit=rows)[0]
    if isinstance(answer, DomainError):
        raise answer
    record_many(rows)
    return answer


_ENDINGS = {
    "rejected": ("rejected", _("Rejected by the reviewer")),
    "withdrawn": ("withdrawn", _("Withdrawn by the submitter")),
    "expired": ("expired", _("Not reviewed in time")),
}


def release_movement(*, payload: MovementPayload, request: Any, now: dt.datetime) -> None:
    """The request ended without approval: the movement is rejected, its hold released."""
    m = dispatch._locked(payload.movement_id)
    if m.status != FundMovement.Status.SUBMITTED:
        return
    last = request.actions.order_by("-id").first()
    code, default = _ENDINGS.get(request.status, ("rejected", _("Rejected by the reviewer")))
    reason = request.reject_reason or str(default)
    dispatch.reject_within(
        m, actor=last.actor if last is not None else None, reason_code=code, reason=reason, now=now
    )


def describe_movement(*, payload: MovementPayload) -> str:
    m = (
        FundMovement.objects.select_related("market", "contract")
        .filter(public_id=payload.movement_id)
        .first()
    )
    if m is None:
        return str(_("Deposit or withdrawal"))
    text = _("Deposit %(amount)s into %(market)s (member %(code)s)")
    if m.direction == Direction.WITHDRAWAL:
        text = _("Withdraw %(amount)s from %(market)s (member %(code)s)")
    return str(text) % {
        "amount": dispatch.fmt(Money(m.amount, m.currency)),
        "market": m.market.code,
        "code": m.contract.member_code,
    }


# -- manual resolution --------------------------------------------------------------------
def _unknown(payload: ResolvePayload) -> FundMovement:
    m = (
        FundMovement.objects.select_related("market", "contract", "member__organisation")
        .filter(public_id=payload.movement_id)
        .first()
    )
    if m is None:
        raise NotFound(object="movement")
    if m.status not in (FundMovement.Status.SENT, FundMovement.Status.UNKNOWN):
        raise OutcomeNotUnknown(state=m.status)
    return m


def check_resolve(*, actor: User, payload: ResolvePayload, now: dt.datetime) -> Preview:
    access.require(actor, perms.RESOLVE)
    if not actor.is_staff_member():
        raise NotFound(object="movement")
    m = _unknown(payload)
    return Preview(
        object_type="funds.movement",
        object_id=str(m.public_id),
        dedup_key=f"resolve:{m.public_id}",
        before={"status": m.status, "rail_reference": m.rail_reference},
        after={
            "status": payload.outcome,
            "bank_reference": payload.bank_reference,
            "reason": payload.reason,
        },
        amount=Money(m.amount, m.currency),
    )


def execute_resolve(
    *,
    initiator: User,
    approver: User | None,
    payload: ResolvePayload,
    request: Any,
    now: dt.datetime,
) -> dict[str, Any]:
    m = dispatch._locked(payload.movement_id)
    dispatch.resolve_execute(
        movement=m,
        outcome=payload.outcome,
        bank_reference=payload.bank_reference,
        reason=payload.reason,
        approver=approver,
        now=now,
    )
    return {"movement_id": str(m.public_id), "status": m.status}


def describe_resolve(*, payload: ResolvePayload) -> str:
    label = _("succeeded") if payload.outcome == "succeeded" else _("failed")
    return str(_("Resolve a transfer with an unknown outcome as %(outcome)s")) % {"outcome": label}


register(
    ActionType(
        code=DEPOSIT,
        label=_("Deposit"),
        payload=MovementPayload,
        check=check_deposit,
        execute=execute_movement,
        execute_many=batch.execute_deposits,
        describe=describe_movement,
        default_levels=member_review,
        on_reject=release_movement,
        permission=perms.DEPOSIT_SUBMIT,
        approver_permission=perms.DEPOSIT_REVIEW,
    )
)
register(
    ActionType(
        code=WITHDRAWAL,
        label=_("Withdrawal"),
        payload=MovementPayload,
        check=check_withdrawal,
        execute=execute_movement,
        execute_many=batch.execute_withdrawals,
        describe=describe_movement,
        default_levels=member_review,
        on_reject=release_movement,
        permission=perms.WITHDRAWAL_SUBMIT,
        approver_permission=perms.WITHDRAWAL_REVIEW,
    )
)
register(
    ActionType(
        code=RESOLVE,
        label=_("Resolve an unknown transfer outcome"),
        payload=ResolvePayload,
        check=check_resolve,
        execute=execute_resolve,
        describe=describe_resolve,
        default_levels=staff_second_pair,
        permission=perms.RESOLVE,
        approver_permission=perms.RESOLVE,
    )
)
