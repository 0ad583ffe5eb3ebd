"""Reads of deposits and withdrawals, scoped to the actor: a member's users see their own
organisation's movements (another member's is NotFound), staff holding
``funds.movement.view`` see every one."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from django.db.models import Q, QuerySet

from custodesk.contracts.models import Contract
from custodesk.core import access
from custodesk.core.errors import NotFound
from custodesk.core.money import Money
from custodesk.identity.models import User
from custodesk.ledger import facade as ledger

from . import permissions as perms
from .models import FundLimit, FundMovement


def _can_see(actor: User) -> None:
    access.require(actor, perms.MOVEMENT_VIEW if actor.is_staff_member() else perms.QUERY_VIEW)


def visible(actor: User) -> QuerySet[FundMovement]:
    _can_see(actor)
    qs = FundMovement.objects.select_related("market", "contract", "member", "submitted_by")
    if actor.is_staff_member():
        return qs
    return qs.filter(member__organisation_id=actor.organisation_id)


def movements(
    *,
    actor: User,
    status: str | None = None,
    direction: str | None = None,
    market: str | None = None,
    member_code: str | None = None,
    q: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[FundMovement]:
    """Newest first; filters by status, direction, market code, member code, member name
    (``q``), business dates (inclusive)."""
    qs = visible(actor)
    if status:
        qs = qs.filter(status=status)
    if direction:
        qs = qs.filter(direction=direction)
    if market:
        qs = qs.filter(market__code=market)
    if member_code:
        qs = qs.filter(contract__member_code=member_code)
    if q:
        qs = qs.filter(Q(member__name__icontains=q) | Q(contract__member_code__icontains=q))
    if date_from:
        qs = qs.filter(business_date__gte=date_from)
    if date_to:
        qs = qs.filter(business_date__lte=date_to)
    return qs.order_by("-created_at", "-id")


def movement(*, actor: User, movement_id: UUID | str) -> FundMovement:
    m = visible(actor).filter(public_id=movement_id).first()
    if m is None:
        raise NotFound(object="movement")
    return m


def unknown_outcomes(*, actor: User) -> QuerySet[FundMovement]:
    """The staff queue: transfers sent to the rail whose outcome is not known, oldest
    first."""
    access.require(actor, perms.RESOLVE)
    if not actor.is_staff_member():
        raise NotFound(object="movement")
    return (
        FundMovement.objects.select_related("market", "contract", "member")
        .filter(status__in=(FundMovement.Status.UNKNOWN, FundMovement.Status.SENT))
        .order_by("sent_at", "id")
    )


def _money(minor: int | None, currency: str) -> str | None:
    return None if minor is None else str(Money(minor, currency).to_decimal())


def movement_row(m: FundMovement) -> dict[str, Any]:
    return {
        "id": m.public_id,
        "direction": m.direction,
        "direction_label": str(m.get_direction_display()),
        "status": m.status,
        "status_label": str(m.get_status_display()),
        "amount": _money(m.amount, m.currency),
        "currency": m.currency,
        "market_code": m.market.code,
        "market_name": m.market.name,
        "member_code": m.contract.member_code,
        "member_name": m.member.name,
        "contract_id": m.contract.public_id,
        "card": m.card_masked,
        "reason_code": m.reason_code,
        "reason": m.reason,
        "rail_reference": m.rail_reference,
        "resolution": m.resolution,
        "business_date": m.business_date,
        "submitted_by": m.submitted_by.full_name or m.submitted_by.username,
        "created_at": m.created_at,
        "completed_at": m.completed_at,
        "request_id": m.approval_request_id or None,
    }


def movement_detail(*, actor: User, movement_id: UUID | str) -> dict[str, Any]:
    """A movement with every change of state (who, when, from → to, note)."""
    m = movement(actor=actor, movement_id=movement_id)
    return {
        **movement_row(m),
        "events": [
            {
                "at": e.at,
                "by": e.actor_name,
                "from_status": e.from_status,
                "to_status": e.to_status,
                "note": e.note,
            }
            for e in m.events.all()
        ],
    }


def signed_contracts(*, actor: User) -> list[dict[str, Any]]:
    """The member's contracts in force with their sub-account balances: what a deposit or
    withdrawal form offers (frozen includes the holds of pending withdrawals)."""
    _can_see(actor)
    rows = []
    for c in (
        Contract.objects.select_related("market", "card")
        .filter(member__organisation_id=actor.organisation_id, status=Contract.Status.ACTIVE)
        .order_by("market__code")
    ):
        if c.sub_ledger_account_id is None:
            continue
        b = ledger.balances(actor=actor, account_id=c.sub_ledger_account_id)
        rows.append(
            {
                "contract_id": c.public_id,
                "market_code": c.market.code,
                "market_name": c.market.name,
                "member_code": c.member_code,
                "currency": c.currency,
                "card": c.card.masked_number,
                "balance": str(b.posted.to_decimal()),
                "frozen": str((b.pending_debits + b.frozen).to_decimal()),
                "available": str(b.available.to_decimal()),
            }
        )
    return rows


def limit_row(row: FundLimit) -> dict[str, Any]:
    return {
        "id": row.public_id,
        "market_code": row.market.code,
        "member_name": row.member.name if row.member else None,
        "member_id": row.member.public_id if row.member else None,
        "direction": row.direction,
        "currency": row.currency,
        "per_transaction": _money(row.per_transaction, row.currency),
        "daily": _money(row.daily, row.currency),
        "updated_at": row.updated_at,
        "updated_by": row.updated_by.full_name or row.updated_by.username,
    }


def limits(*, actor: User) -> list[dict[str, Any]]:
    access.require(actor, perms.LIMIT_MANAGE)
    qs = FundLimit.objects.select_related("market", "member", "updated_by").order_by(
        "market__code", "member_id", "direction", "currency"
    )
    return [limit_row(r) for r in qs]
