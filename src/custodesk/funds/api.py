"""Deposits and withdrawals API (/api/v1/funds): the member portal and the staff.

A submission answers 201 when it was applied at once (an individual member, after its
SMS code: the rail's answer is in ``movement.status``) and 202 when the enterprise's
reviewer must decide (``POST /funds/movements/{id}/approve`` or ``/reject``).  The same
``idempotency_key`` again answers the first submission (``replayed``).  Refusals:
``insufficient_funds`` (409, nothing held), 422 on ``amount`` with the rule
``per_transaction_limit`` / ``daily_limit`` and the limit in the message.  Another
member's movement is 404.
"""

from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Query, Router
from ninja.pagination import paginate

from custodesk.approvals.presenters import submitted_body
from custodesk.approvals.schemas import SubmittedOut
from custodesk.core import clock
from custodesk.core.apiauth import actor, auth
from custodesk.core.schema_types import Pages

from . import selectors, services
from .schemas import (
    ApproveIn,
    ContractBalanceOut,
    FundsChallengeOut,
    FundsCodeIn,
    LimitIn,
    LimitOut,
    MovementDetailOut,
    MovementFilters,
    MovementIn,
    MovementOut,
    RejectIn,
    ResolveIn,
    SubmittedMovementOut,
    WebhookIn,
    WebhookOut,
)

router = Router(auth=auth, tags=["funds"])


def _submitted(request: HttpRequest, sub: services.Submission) -> tuple[int, Any]:
    body = {
        "executed": sub.executed,
        "replayed": sub.replayed,
        "request_id": sub.request_id or None,
        "movement": selectors.movement_detail(
            actor=actor(request), movement_id=sub.movement.public_id
        ),
    }
    return (201 if sub.executed else 202), body


def _submit(request: HttpRequest, payload: MovementIn, submit: Any) -> tuple[int, Any]:
    sub = submit(
        actor=actor(request),
        contract_id=payload.contract_id,
        amount=payload.amount,
        idempotency_key=payload.idempotency_key,
        challenge_id=payload.challenge_id,
        sms_code=payload.sms_code,
        comment=payload.comment,
        now=clock.now(),
        business_date=clock.business_date(),
    )
    return _submitted(request, sub)


@router.get("/contracts", response=list[ContractBalanceOut])
def contracts(request: HttpRequest) -> Any:
    """The member's contracts in force with balance, frozen (holds included), available."""
    return selectors.signed_contracts(actor=actor(request))


@router.post("/deposits", response={201: SubmittedMovementOut, 202: SubmittedMovementOut})
def deposit(request: HttpRequest, payload: MovementIn) -> tuple[int, Any]:
    """Deposit (FUND-IN) from the bound card; credited only once the bank confirms."""
    return _submit(request, payload, services.deposit_submit)


@router.post("/withdrawals", response={201: SubmittedMovementOut, 202: SubmittedMovementOut})
def withdrawal(request: HttpRequest, payload: MovementIn) -> tuple[int, Any]:
    """Withdrawal (FUND-OUT) to the bound card; the amount is held at once."""
    return _submit(request, payload, services.withdrawal_submit)


@router.post("/codes", response={201: FundsChallengeOut})
def code(request: HttpRequest, payload: FundsCodeIn) -> tuple[int, Any]:
    """Send an individual member's SMS code for a deposit or withdrawal."""
    ch = services.sms_code_send(actor=actor(request), direction=payload.direction, now=clock.now())
    phone = ch.phone
    masked = f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else "****"
    return 201, {"challenge_id": ch.public_id, "expires_at": ch.expires_at, "phone": masked}


@router.get("/movements", response=list[MovementOut])
@paginate(Pages, page_size=50)
def movement_list(request: HttpRequest, filters: Query[MovementFilters]) -> Any:
    """The member's deposits and withdrawals (staff: every member's), newest first."""
    rows = selectors.movements(actor=actor(request), **filters.dict(exclude_none=True))
    return [selectors.movement_row(m) for m in rows]


@router.get("/movements/{movement_id}", response=MovementDetailOut)
def movement_get(request: HttpRequest, movement_id: UUID) -> Any:
    """One movement with every change of state."""
    return selectors.movement_detail(actor=actor(request), movement_id=movement_id)


@router.post("/movements/{movement_id}/approve", response=MovementDetailOut)
def movement_approve(request: HttpRequest, movement_id: UUID, payload: ApproveIn) -> Any:
    """The member's reviewer approves: the transfer goes to the bank at once."""
    m = services.movement_approve(
        actor=actor(request), movement_id=movement_id, comment=payload.comment, now=clock.now()
    )
    return selectors.movement_detail(actor=actor(request), movement_id=m.public_id)


@router.post("/movements/{movement_id}/reject", response=MovementDetailOut)
def movement_reject(request: HttpRequest, movement_id: UUID, payload: RejectIn) -> Any:
    """The member's reviewer rejects with a reason (a withdrawal's hold is released)."""
    m = services.movement_reject(
        actor=actor(request), movement_id=movement_id, reason=payload.reason, now=clock.now()
    )
    return selectors.movement_detail(actor=actor(request), movement_id=m.public_id)


# -- staff ------------------------------------------------------------------------------
@router.get("/unknown", response=list[MovementOut])
@paginate(Pages, page_size=50)
def unknown(request: HttpRequest) -> Any:
    """Transfers whose outcome at the bank is not known yet (oldest first)."""
    return [selectors.movement_row(m) for m in selectors.unknown_outcomes(actor=actor(request))]


@router.post("/movements/{movement_id}/resolve", response={201: SubmittedOut, 202: SubmittedOut})
def resolve(request: HttpRequest, movement_id: UUID, payload: ResolveIn) -> tuple[int, Any]:
    """Propose the outcome of an unknown transfer; a second officer approves it."""
    sub = services.resolve_submit(
        actor=actor(request),
        movement_id=movement_id,
        outcome=payload.outcome,
        reason=payload.reason,
        bank_reference=payload.bank_reference,
        now=clock.now(),
    )
    return (201 if sub.executed else 202), submitted_body(sub)


@router.get("/limits", response=list[LimitOut])
def limit_list(request: HttpRequest) -> Any:
    return selectors.limits(actor=actor(request))


@router.put("/limits", response={200: LimitOut, 204: None})
def limit_set(request: HttpRequest, payload: LimitIn) -> Any:
    """Set a market's default limit or a member's own (both amounts blank: removed)."""
    row = services.limit_set(
        actor=actor(request),
        market_id=payload.market_id,
        member_id=payload.member_id,
        direction=payload.direction,
        currency=payload.currency,
        per_transaction=payload.per_transaction,
        daily=payload.daily,
        now=clock.now(),
    )
    if row is None:
        return 204, None
    return 200, selectors.limit_row(row)


@router.put("/markets/{market_id}/webhook", response=WebhookOut)
def webhook(request: HttpRequest, market_id: UUID, payload: WebhookIn) -> Any:
    """Where the market's notifications go (HMAC-signed with ``secret``)."""
    code = services.market_webhook_save(
        actor=actor(request),
        market_id=market_id,
        url=payload.url,
        secret=payload.secret,
        active=payload.active,
        now=clock.now(),
    )
    return {"endpoint": code}


# the account and transaction queries, statements and receipts (api_queries.py)
from .api_queries import router as _queries  # noqa: E402

router.add_router("", _queries)
