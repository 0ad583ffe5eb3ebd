"""Movements approved, sent and booked set-based: the path of bulk approval.

The same steps as :mod:`custodesk.funds.dispatch` — approve inside the approval's
transaction, mark sent, ask the rail, book the answer — for many movements at once,
with a fixed number of statements per table per step instead of a few per movement.
A single approval takes this path too (a lot of one).

* :func:`execute_deposits` / :func:`execute_withdrawals` — the approval engine's
  ``execute_many`` (:mod:`custodesk.approvals.batch`): lock the movements (``FOR UPDATE
  OF`` their rows, in id order), re-check each as the single approval does, mark the
  good ones ``approved`` (one UPDATE, one INSERT of state rows) and hand their audit
  rows to the engine; once the decision commits, :func:`dispatch_many` sends them.
* :func:`dispatch_many` — ``approved → sent`` in one short transaction (committed
  before the rail is called, as :func:`~custodesk.funds.dispatch.dispatch` does), then
  the rail asked about each transfer, then :func:`apply_outcomes`.
* :func:`apply_outcomes` — one transaction books every answer: withdrawals' holds
  posted (or voided on failure) in one ledger booking, deposits credited, the states,
  rows and audit records written, the markets' webhooks queued with the balances as
  they stood after each movement.  A movement the ledger refuses is left out of that
  transaction and goes the one-by-one way (:func:`~custodesk.funds.dispatch.apply_outcome`),
  which fails and reverses a deposit or leaves a withdrawal ``sent`` for staff and the
  job — exactly as if it had been alone.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from functools import partial
from typing import Any
from uuid import UUID

from django.db import transaction

from custodesk.audit.services import AuditEntry, record_many
from custodesk.contracts.errors import ContractNotActive
from custodesk.contracts.models import Contract
from custodesk.core import retry, sql
from custodesk.core.errors import DomainError, NotFound
from custodesk.identity.models import User
from custodesk.ledger import facade as ledger
from custodesk.markets.models import Market
from custodesk.notify import services as notify
from custodesk.notify.errors import EndpointNotFound

from .dispatch import (
    _ask,
    _booking_date,
    _recheck,
    _summary,
    apply_outcome,
    audit_row,
    endpoint_code,
    event_row,
    money,
    movement_state,
    rail_transfer,
    webhook_message,
)
from .errors import MarketNotOpen, MovementNotPending
from .models import Direction, FundMovement, FundMovementEvent
from .rails import Outcome, RailResult

logger = logging.getLogger("custodesk.funds")

S = FundMovement.Status
# what the steps read of a movement's neighbours (audit rows, the rail, the webhook)
RELATED = ("market", "contract", "member__organisation", "card")
FIELDS = [
    "status",
    "updated_at",
    "completed_at",
    "rail_reference",
    "resolution",
    "ledger_transfer_id",
    "next_check_at",
    "reason_code",
    "reason",
]


# -- approval (inside the approval engine's transaction) ----------------------------------
def execute_deposits(
    *, approver: User | None, items: Sequence[tuple[Any, Any]], now: dt.datetime, audit: list
) -> list[dict[str, Any] | DomainError]:
    return approve_many(Direction.DEPOSIT, approver, items, now=now, audit=audit)


def execute_withdrawals(
    *, approver: User | None, items: Sequence[tuple[Any, Any]], now: dt.datetime, audit: list
) -> list[dict[str, Any] | DomainError]:
    return approve_many(Direction.WITHDRAWAL, approver, items, now=now, audit=audit)


def _refusal(direction: str, m: FundMovement | None, request: Any) -> DomainError | None:
    """What the single approval's re-check (``funds.approvals._check``) refuses."""
    if (
        m is None
        or m.direction != direction
        or m.member.organisation_id != request.initiator.organisation_id
    ):
        return NotFound(object="movement")
    if m.status != S.SUBMITTED:
        return MovementNotPending(state=m.status)
    if m.contract.status != Contract.Status.ACTIVE:
        return ContractNotActive(state=m.contract.status)
    if m.market.status != Market.Status.ACTIVE:
        return MarketNotOpen()
    return None


def approve_many(
    direction: str,
    approver: User | None,
    items: Sequence[tuple[Any, Any]],
    *,
    now: dt.datetime,
    audit: list[AuditEntry],
) -> list[dict[str, Any] | DomainError]:
    """Approve the movements of ``items`` (approval request, ``MovementPayload``); an
    answer per item.  Their audit rows go to ``audit``; the rail is called once the
    caller's transaction commits."""
    found = {
        m.public_id: m
        for m in FundMovement.objects.select_for_update(of=("self",))
        .select_related(*RELATED)
        .filter(public_id__in=[p.movement_id for _r, p in items])
        .order_by("pk")
    }
    snapshot = approver.audit_snapshot() if approver is not None else {}
    answers: list[dict[str, Any] | DomainError] = []
    approved: list[FundMovement] = []
    events: list[FundMovementEvent] = []
    for request, payload in items:
        m = found.get(payload.movement_id)
        problem = _refusal(direction, m, request)
        if problem is not None:
            answers.append(problem)
            continue
        assert m is not None
        before = movement_state(m)
        m.approved_by = approver
        m.approval_request_id = str(request.public_id)
        m.status, m.updated_at = S.APPROVED, now
        events.append(
            event_row(
                m, actor=approver, from_status=S.SUBMITTED, to_status=S.APPROVED, by="auto", now=now
            )
        )
        audit.append(
            audit_row(m, "approve", actor=approver, before=before, now=now, snapshot=snapshot)
        )
        approved.append(m)
        answers.append({"movement_id": str(m.public_id), "status": m.status})
    sql.update_rows(approved, ["status", "updated_at", "approved_by", "approval_request_id"])
    sql.insert_rows(events)
    if approved:
        transaction.on_commit(partial(_send, approved, now), robust=True)
    return answers


def _send(approved: list[FundMovement], now: dt.datetime) -> None:
    dispatch_many(movements=approved, now=now)


# -- sending --------------------------------------------------------------------------------
def dispatch_many(
    *,
    movement_ids: Sequence[UUID | str] = (),
    movements: Sequence[FundMovement] = (),
    now: dt.datetime,
) -> None:
    """Send the ``approved`` movements among ``movement_ids`` (or ``movements``, loaded
    with :data:`RELATED` by the caller) to the rail and book the answers; the others
    are left as they are (safe to call twice)."""
    carried = {m.public_id: m for m in movements}
    ids = [*movement_ids, *carried]
    sent = retry.on_conflict(partial(_mark_sent, ids, carried, now), what="funds.send")
    answers = [(m, _ask("submit", rail_transfer(m))) for m in sent]
    apply_outcomes(answers, via="rail", now=now)


def _locked_many(
    ids: Sequence[UUID | str], states: Sequence[str], carried: dict[UUID, FundMovement]
) -> list[FundMovement]:
    """The movements ``ids`` in one of ``states``, locked, read afresh; their market,
    contract, member and card taken from ``carried`` where the caller has them."""
    qs = (
        FundMovement.objects.select_for_update(of=("self",))
        .filter(public_id__in=list(ids), status__in=states)
        .order_by("pk")
    )
    if not carried or any(UUID(str(i)) not in carried for i in ids):
        return list(qs.select_related(*RELATED))
    rows = list(qs)
    for m in rows:
        had = carried[m.public_id]
        m.market, m.contract, m.member, m.card = had.market, had.contract, had.member, had.card
    return rows


@transaction.atomic(durable=True)
def _mark_sent(
    ids: list[UUID | str], carried: dict[UUID, FundMovement], now: dt.datetime
) -> list[FundMovement]:
    sent = _locked_many(ids, (S.APPROVED,), carried)
    for m in sent:
        m.status, m.updated_at, m.sent_at = S.SENT, now, now
        m.rail_attempts += 1
        m.next_check_at = _recheck(now)
    sql.update_rows(sent, ["status", "updated_at", "sent_at", "rail_attempts", "next_check_at"])
    sql.insert_rows(
        [
            event_row(m, actor=None, from_status=S.APPROVED, to_status=S.SENT, by="rail", now=now)
            for m in sent
        ]
    )
    return sent


# -- outcomes -------------------------------------------------------------------------------
def apply_outcomes(
    answers: Sequence[tuple[UUID | FundMovement, RailResult]],
    *,
    via: str,
    now: dt.datetime,
    actor: User | None = None,
) -> None:
    """Book the rail's answers for ``sent`` / ``unknown`` movements (by id, or loaded
    with :data:`RELATED`; see the module's docstring); any other state is left as it
    is."""
    if not answers:
        return
    carried = {a.public_id: a for a, _r in answers if isinstance(a, FundMovement)}
    by_id = {(a.public_id if isinstance(a, FundMovement) else UUID(str(a))): r for a, r in answers}
    left = retry.on_conflict(
        partial(_apply_many, by_id, carried, via, actor, now), what="funds.outcomes"
    )
    for mid, result in left:
        try:
            apply_outcome(movement_id=mid, result=result, via=via, now=now, actor=actor)
        except DomainError:
            logger.exception("funds: booking the outcome of %s failed", mid)


class _Refused(Exception):
    def __init__(self, answers: list[Any]) -> None:
        self.answers = answers


def _all_or_nothing(call: Any, holds: list[ledger.HoldResolution]) -> list[Any]:
    """Book ``holds``; if the ledger refuses some, book only the others (the refused
    attempts are not kept: alone, each would have rolled back with its movement)."""
    if not holds:
        return []
    try:
        with transaction.atomic():
            answers = call(holds)
            if any(isinstance(a, DomainError) for a in answers):
                raise _Refused(answers)
        return answers
    except _Refused as refused:
        answers = refused.answers
    ok = [h for h, a in zip(holds, answers, strict=True) if not isinstance(a, DomainError)]
    again = iter(_all_or_nothing(call, ok) if ok else [])
    return [a if isinstance(a, DomainError) else next(again) for a in answers]


@transaction.atomic(durable=True)
def _apply_many(
    by_id: dict[UUID, RailResult],
    carried: dict[UUID, FundMovement],
    via: str,
    actor: User | None,
    now: dt.datetime,
) -> list[tuple[UUID, RailResult]]:
    ms = _locked_many(list(by_id), (S.SENT, S.UNKNOWN), carried)
    left: list[tuple[UUID, RailResult]] = []
    before = {m.pk: movement_state(m) for m in ms}
    was = {m.pk: m.status for m in ms}
    for m in ms:
        result = by_id[m.public_id]
        if result.rail_reference:
            m.rail_reference = result.rail_reference[:64]
        if m.status == S.UNKNOWN and result.outcome != Outcome.UNKNOWN:
            m.resolution = (
                via if via in ("status_query", "manual") else FundMovement.Resolution.STATUS_QUERY
            )
    won = [m for m in ms if by_id[m.public_id].outcome == Outcome.SUCCEEDED]
    lost = [m for m in ms if by_id[m.public_id].outcome == Outcome.FAILED]
    day = _booking_date()
    booked: dict[int, UUID] = {}
    # the ledger, in a fixed order: withdrawals' holds posted, deposits credited, holds voided
    effects: list[tuple[FundMovement, str]] = []
    posts = [m for m in won if m.direction == Direction.WITHDRAWAL]
    for m, a in zip(posts, _post(posts, actor, now, day), strict=True):
        if isinstance(a, DomainError):
            left.append((m.public_id, by_id[m.public_id]))
        else:
            booked[m.pk] = a.id
            effects.append((m, "post"))
    for m in (m for m in won if m.direction == Direction.DEPOSIT):
        credited = _credit(m, actor, now, day)
        if credited is None:
            left.append((m.public_id, by_id[m.public_id]))
        else:
            booked[m.pk] = credited
            effects.append((m, "credit"))
    voids = [m for m in lost if m.hold_transfer_id is not None]
    codes = [by_id[m.public_id].reason_code or "rail_failed" for m in voids]
    for m, a in zip(voids, _void(voids, codes, actor, now, day), strict=True):
        if isinstance(a, DomainError):
            left.append((m.public_id, by_id[m.public_id]))
        else:
            effects.append((m, "void"))
    skipped = {mid for mid, _r in left}
    changed: list[FundMovement] = []
    events: list[FundMovementEvent] = []
    rows: list[AuditEntry] = []
    snapshot = actor.audit_snapshot() if actor is not None else {}
    for m in ms:
        if m.public_id in skipped:
            continue
        result = by_id[m.public_id]
        kw: dict[str, Any] = {"actor": actor, "from_status": m.status, "by": via, "now": now}
        if result.outcome == Outcome.SUCCEEDED:
            m.ledger_transfer_id, m.next_check_at = booked[m.pk], None
            _to(m, S.SUCCEEDED, now)
            data = {"rail_reference": m.rail_reference, "ledger_transfer": str(booked[m.pk])}
            events.append(event_row(m, to_status=S.SUCCEEDED, data=data, **kw))
            rows.append(_row(m, "succeed", actor, before[m.pk], now, "", snapshot))
        elif result.outcome == Outcome.FAILED:
            code = result.reason_code or "rail_failed"
            m.reason_code, m.reason = code[:64], (result.reason or code)[:500]
            m.next_check_at = None
            _to(m, S.FAILED, now)
            data = {"rail_reference": m.rail_reference}
            events.append(event_row(m, to_status=S.FAILED, note=m.reason, data=data, **kw))
            rows.append(_row(m, "fail", actor, before[m.pk], now, m.reason, snapshot))
        else:
            m.next_check_at = _recheck(now)
            if was[m.pk] == S.SENT:
                _to(m, S.UNKNOWN, now)
                events.append(event_row(m, to_status=S.UNKNOWN, note=result.reason, **kw))
                rows.append(_row(m, "outcome_unknown", actor, None, now, result.reason, snapshot))
        changed.append(m)
    sql.update_rows(changed, FIELDS)
    sql.insert_rows(events)
    _notify(effects, now=now)
    record_many(rows)
    return left


def _to(m: FundMovement, status: str, now: dt.datetime) -> None:
    m.status, m.updated_at = status, now
    if status in (S.SUCCEEDED, S.FAILED, S.REJECTED):
        m.completed_at = now


def _row(
    m: FundMovement,
    action: str,
    actor: User | None,
    before: Any,
    now: dt.datetime,
    reason: str,
    snapshot: dict[str, Any],
) -> AuditEntry:
    return audit_row(
        m, action, actor=actor, before=before, now=now, reason=reason, snapshot=snapshot
    )


def _meta(m: FundMovement) -> dict[str, Any]:
    return {
        "movement": str(m.public_id),
        "member_code": m.contract.member_code,
        "rail_reference": m.rail_reference,
    }


def _post(ms: list[FundMovement], actor: User | None, now: dt.datetime, day: dt.date) -> list[Any]:
    holds = []
    for m in ms:
        assert m.hold_transfer_id is not None
        holds.append(
            ledger.HoldResolution(
                m.hold_transfer_id, "withdrawal", _meta(m), idempotency_key=f"funds:{m.public_id}"
            )
        )
    call = partial(_resolve, ledger.post_holds, actor, now, day)
    return _all_or_nothing(call, holds)


def _void(
    ms: list[FundMovement], codes: list[str], actor: User | None, now: dt.datetime, day: dt.date
) -> list[Any]:
    holds = []
    for m, code in zip(ms, codes, strict=True):
        assert m.hold_transfer_id is not None
        holds.append(
            ledger.HoldResolution(
                m.hold_transfer_id,
                "withdrawal_release",
                {"movement": str(m.public_id), "reason": code},
                idempotency_key=f"funds:{m.public_id}:void",
            )
        )
    call = partial(_resolve, ledger.void_holds, actor, now, day)
    return _all_or_nothing(call, holds)


def _resolve(
    fn: Any,
    actor: User | None,
    now: dt.datetime,
    day: dt.date,
    holds: list[ledger.HoldResolution],
) -> list[Any]:
    return list(fn(actor=actor, holds=holds, now=now, business_date=day))


def _credit(m: FundMovement, actor: User | None, now: dt.datetime, day: dt.date) -> UUID | None:
    """A deposit's credit (a savepoint); None when the ledger refuses it."""
    assert m.contract.sub_ledger_account_id is not None
    try:
        with transaction.atomic():
            booked = ledger.transfer(
                actor=actor,
                debit_account_id=_summary(m),
                credit_account_id=m.contract.sub_ledger_account_id,
                amount=money(m),
                kind="deposit",
                metadata=_meta(m),
                idempotency_key=f"funds:{m.public_id}",
                now=now,
                business_date=day,
            )
    except DomainError:
        return None
    return booked.id


# -- the markets' webhooks ------------------------------------------------------------------
def _notify(effects: list[tuple[FundMovement, str]], *, now: dt.datetime) -> None:
    """Queue each succeeded movement's webhook, with the sub-account's balances as they
    stood right after that movement's booking (the batch's bookings undone, last first,
    from the balances after all of them)."""
    accounts = {m.contract.sub_ledger_account_id for m, _kind in effects}
    after = ledger.owned_balances(account_ids=[a for a in accounts if a is not None])
    # per account: [posted, frozen (pending debits + freezes), available]
    state = {
        a: [b.posted.minor, (b.pending_debits + b.frozen).minor, b.available.minor]
        for a, b in after.items()
    }
    found = notify.webhook_endpoints(sorted({endpoint_code(m.market) for m, _k in effects}))
    endpoints = {e.code for e in found}
    queued: list[notify.Queued] = []
    for m, kind in reversed(effects):
        account = m.contract.sub_ledger_account_id
        assert account is not None  # a movement's contract has its sub-account
        s = state[account]
        if kind != "void" and endpoint_code(m.market) in endpoints:
            queued.append(webhook_message(m, *s))
        if kind == "post":  # before it: the hold pending, the money still there
            s[0] += m.amount
            s[1] += m.amount
        elif kind == "credit":
            s[0] -= m.amount
            s[2] -= m.amount
        else:  # before a void: the hold pending
            s[1] += m.amount
            s[2] -= m.amount
    missing = {endpoint_code(m.market) for m, k in effects if k != "void"} - endpoints
    for code in sorted(missing):
        logger.info("a market has no webhook endpoint %s", code)
    try:
        notify.enqueue_many(list(reversed(queued)), now=now, endpoints=found)
    except EndpointNotFound:  # removed since it was read: as if it never was
        logger.info("a market's webhook endpoint was removed while notifying")
