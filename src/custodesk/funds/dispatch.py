"""The rail side of a movement: sending an approved transfer, booking its outcome,
asking again about unknown outcomes (the reconciliation job), resolving by hand.

Sending, one movement at a time (:func:`dispatch`):

1. **mark sent** (own short transaction): ``approved → sent`` with ``sent_at`` and the
   next status check due; committed *before* the rail is called, so a process that
   dies while the rail works leaves a ``sent`` movement the job will ask about;
2. **call the rail** outside any transaction (it may take seconds);
3. **book the outcome** (own transaction, the movement locked, only from ``sent`` /
   ``unknown``: a second answer for the same transfer changes nothing):
   ``succeeded`` — the ledger booking under the movement's idempotency key (a deposit:
   market summary → member sub-account; a withdrawal: its hold posted), the market's
   webhook queued in the outbox; ``failed`` — a withdrawal's hold voided, the reason
   kept; ``unknown`` (a time-out too) — asked again by :func:`reconcile`.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from custodesk.audit.services import AuditEntry, record_many
from custodesk.audit.services import entry as audit_entry
from custodesk.core.errors import DomainError
from custodesk.core.money import Money
from custodesk.identity.models import User
from custodesk.ledger import facade as ledger
from custodesk.markets.models import Market, MarketLedgerAccount
from custodesk.notify import services as notify
from custodesk.notify.errors import EndpointNotFound

from .models import Direction, FundMovement, FundMovementEvent
from .rails import Outcome, RailResult, RailTransfer, RailUnavailable, get_rail

logger = logging.getLogger("custodesk.funds")

S = FundMovement.Status
WEBHOOK_TEMPLATE = "funds.balance_changed"
# a movement approved but not sent after this long (the process stopped between the
# approval and the rail) is sent by the job
SEND_GRACE = dt.timedelta(minutes=2)


def fmt(m: Money) -> str:
    return f"{m.to_decimal():,} {m.currency}"


def money(m: FundMovement) -> Money:
    return Money(m.amount, m.currency)


def movement_state(m: FundMovement) -> dict[str, Any]:
    """What the audit rows keep of a movement (no card number, no secret)."""
    return {
        "direction": m.direction,
        "status": m.status,
        "amount": str(money(m).to_decimal()),
        "currency": m.currency,
        "card": m.card_masked,
        "reason_code": m.reason_code,
        "rail_reference": m.rail_reference,
        "hold": str(m.hold_transfer_id) if m.hold_transfer_id else None,
        "ledger_transfer": str(m.ledger_transfer_id) if m.ledger_transfer_id else None,
        "resolution": m.resolution,
    }


def event(
    m: FundMovement,
    *,
    actor: User | None,
    to_status: str,
    now: dt.datetime,
    from_status: str = "",
    note: str = "",
    by: str = "",
    data: dict[str, Any] | None = None,
) -> FundMovementEvent:
    row = event_row(
        m,
        actor=actor,
        to_status=to_status,
        now=now,
        from_status=from_status,
        note=note,
        by=by,
        data=data,
    )
    row.save(force_insert=True)
    return row


def event_row(
    m: FundMovement,
    *,
    actor: User | None,
    to_status: str,
    now: dt.datetime,
    from_status: str = "",
    note: str = "",
    by: str = "",
    data: dict[str, Any] | None = None,
) -> FundMovementEvent:
    """A state-change row, not saved (a batch writes its rows in one INSERT)."""
    return FundMovementEvent(
        movement=m,
        at=now,
        actor=actor,
        # people by their names (as the contracts' rows): login names stay out of rows
        # a market and the bank's staff read
        actor_name=((actor.full_name or actor.username) if actor is not None else by or "system")[
            :150
        ],
        from_status=from_status,
        to_status=to_status,
        note=note[:500],
        data=data or {},
    )


def _audit(
    m: FundMovement,
    action: str,
    *,
    actor: User | None,
    before: Any,
    now: dt.datetime,
    reason: str = "",
) -> None:
    record_many([audit_row(m, action, actor=actor, before=before, now=now, reason=reason)])


def audit_row(
    m: FundMovement,
    action: str,
    *,
    actor: User | None,
    before: Any,
    now: dt.datetime,
    reason: str = "",
    snapshot: dict[str, Any] | None = None,
) -> AuditEntry:
    """A movement's operation record, not yet written (``audit.services.record_many``)."""
    return audit_entry(
        actor=actor,
        snapshot=snapshot,
        action=f"funds.{action}",
        object_type="funds.movement",
        object_id=m.public_id,
        object_repr=f"{m.market.code} {m.contract.member_code} {fmt(money(m))}"[:200],
        before=before,
        after=movement_state(m),
        reason=reason,
        approval_request_id=m.approval_request_id,
        organisation_id=m.member.organisation_id,
        organisation_code=m.member.organisation.code,
        now=now,
    )


def _locked(movement_id: UUID | str | int) -> FundMovement:
    qs = FundMovement.objects.select_for_update(of=("self",)).select_related(
        "market", "contract", "member__organisation", "card", "submitted_by"
    )
    if isinstance(movement_id, int):
        return qs.get(pk=movement_id)
    return qs.get(public_id=movement_id)


def _change(
    m: FundMovement,
    to: str,
    *,
    actor: User | None,
    now: dt.datetime,
    by: str = "",
    note: str = "",
    data: dict[str, Any] | None = None,
    fields: tuple[str, ...] = (),
) -> str:
    before = m.status
    m.status = to
    m.updated_at = now
    if to in (S.SUCCEEDED, S.FAILED, S.REJECTED):
        m.completed_at = now
    m.save(update_fields=["status", "updated_at", "completed_at", *fields])
    event(m, actor=actor, from_status=before, to_status=to, now=now, by=by, note=note, data=data)
    return before


# -- approval and rejection (inside the approval engine's transaction) --------------------
def reject_within(
    m: FundMovement, *, actor: User | None, reason_code: str, reason: str, now: dt.datetime
) -> None:
    """End a submitted movement without sending it: rejected, withdrawn by its
    submitter, expired, or refused by the approval engine; a withdrawal's hold voided."""
    before = movement_state(m)
    if m.hold_transfer_id is not None:
        ledger.void_hold(
            actor=actor,
            hold_id=m.hold_transfer_id,
            kind="withdrawal_release",
            metadata={"movement": str(m.public_id), "reason": reason_code},
            idempotency_key=f"funds:{m.public_id}:void",
            now=now,
            business_date=m.business_date,
        )
    m.reason_code, m.reason = reason_code[:64], reason[:500]
    _change(m, S.REJECTED, actor=actor, now=now, note=m.reason, fields=("reason_code", "reason"))
    _audit(m, "reject", actor=actor, before=before, now=now, reason=m.reason)


# -- sending ------------------------------------------------------------------------------
def rail_transfer(m: FundMovement) -> RailTransfer:
    assert m.sent_at is not None and m.card is not None
    market: Market = m.market
    return RailTransfer(
        reference=str(m.public_id),
        direction=m.direction,
        amount=money(m),
        card_number=m.card.card_number,
        card_bank_code=m.card.bank_code,
        card_holder=m.card.holder_name,
        summary_account_no=market.summary_account_no,
        summary_account_name=market.summary_account_name,
        sent_at=m.sent_at,
    )


def _recheck(now: dt.datetime) -> dt.datetime:
    return now + dt.timedelta(seconds=settings.CUSTODESK_RAIL_RECHECK_SECONDS)


def _ask(call: str, transfer: RailTransfer) -> RailResult:
    rail = get_rail()
    try:
        return rail.submit(transfer) if call == "submit" else rail.status(transfer)
    except RailUnavailable as exc:
        return RailResult.unknown(str(exc)[:200])
    except Exception:  # a broken adapter: the outcome is unknown, the job asks again
        logger.exception("payment rail %s raised for %s", call, transfer.reference)
        return RailResult.unknown("the rail adapter raised an error")


def dispatch(*, movement_id: UUID | str, now: dt.datetime) -> FundMovement:
    """Send an approved movement to the rail and book its answer (see the module's
    docstring; :func:`custodesk.funds.batch.dispatch_many` with one).  Does nothing to
    a movement that is not ``approved`` (already sent by another call): safe to call
    twice."""
    from .batch import dispatch_many

    dispatch_many(movement_ids=[movement_id], now=now)
    return FundMovement.objects.get(public_id=movement_id)


# -- outcomes -----------------------------------------------------------------------------
def apply_outcome(
    *,
    movement_id: UUID | str,
    result: RailResult,
    via: str,
    now: dt.datetime,
    actor: User | None = None,
) -> FundMovement:
    """Book the rail's answer for a ``sent`` / ``unknown`` movement (``via``: ``rail``,
    ``status_query`` or ``manual``); any other state is left as it is.  A deposit whose
    credit the ledger refuses (the sub-account closed or frozen since) ends failed and
    the transfer is reversed at the rail."""
    reverse = _apply(movement_id, result, via=via, actor=actor, now=now)
    m = FundMovement.objects.select_related("card", "market").get(public_id=movement_id)
    if reverse:
        try:
            answer = get_rail().reversal(rail_transfer(m), reason=m.reason_code)
        except Exception:  # staff see the failed movement and its missing reversal note
            logger.exception("payment rail reversal raised for %s", m.public_id)
            answer = RailResult.unknown("the reversal did not go through")
        _note_reversal(m.pk, answer, now=now)
    return m


@transaction.atomic(durable=True)
def _apply(
    movement_id: UUID | str, result: RailResult, *, via: str, actor: User | None, now: dt.datetime
) -> bool:
    m = _locked(movement_id)
    if m.status not in (S.SENT, S.UNKNOWN):
        return False
    if result.rail_reference:
        m.rail_reference = result.rail_reference[:64]
    if m.status == S.UNKNOWN and result.outcome != Outcome.UNKNOWN:
        m.resolution = (
            via if via in ("status_query", "manual") else FundMovement.Resolution.STATUS_QUERY
        )
    if result.outcome == Outcome.SUCCEEDED:
        return _succeed(m, via=via, actor=actor, now=now)
    if result.outcome == Outcome.FAILED:
        _fail(m, result.reason_code or "rail_failed", result.reason, via=via, actor=actor, now=now)
        return False
    m.next_check_at = _recheck(now)
    if m.status == S.SENT:
        _change(
            m,
            S.UNKNOWN,
            actor=actor,
            by=via,
            now=now,
            note=result.reason,
            fields=("next_check_at", "rail_reference"),
        )
        _audit(m, "outcome_unknown", actor=actor, before=None, now=now, reason=result.reason)
    else:
        m.save(update_fields=["next_check_at", "rail_reference"])
    return False


def _booking_date() -> dt.date:
    from custodesk.core import clock

    return clock.business_date()


def _succeed(m: FundMovement, *, via: str, actor: User | None, now: dt.datetime) -> bool:
    before = movement_state(m)
    day = _booking_date()
    meta = {
        "movement": str(m.public_id),
        "member_code": m.contract.member_code,
        "rail_reference": m.rail_reference,
    }
    try:
        if m.direction == Direction.DEPOSIT:
            assert m.contract.sub_ledger_account_id is not None
            booked = ledger.transfer(
                actor=actor,
                debit_account_id=_summary(m),
                credit_account_id=m.contract.sub_ledger_account_id,
                amount=money(m),
                kind="deposit",
                metadata=meta,
                idempotency_key=f"funds:{m.public_id}",
                now=now,
                business_date=day,
            )
        else:
            assert m.hold_transfer_id is not None
            booked = ledger.post_hold(
                actor=actor,
                hold_id=m.hold_transfer_id,
                kind="withdrawal",
                metadata=meta,
                idempotency_key=f"funds:{m.public_id}",
                now=now,
                business_date=day,
            )
    except DomainError as exc:
        if m.direction == Direction.WITHDRAWAL:
            raise  # the money left the bank: staff must see it (the job retries the post)
        m.reason_code, m.reason = "credit_refused", str(exc.detail or exc.title)[:500]
        _change(
            m,
            S.FAILED,
            actor=actor,
            by=via,
            now=now,
            note=m.reason,
            fields=("reason_code", "reason", "rail_reference", "resolution"),
        )
        _audit(m, "fail", actor=actor, before=before, now=now, reason=m.reason)
        return True
    m.ledger_transfer_id = booked.id
    m.next_check_at = None
    _change(
        m,
        S.SUCCEEDED,
        actor=actor,
        by=via,
        now=now,
        data={"rail_reference": m.rail_reference, "ledger_transfer": str(booked.id)},
        fields=("ledger_transfer_id", "next_check_at", "rail_reference", "resolution"),
    )
    _audit(m, "succeed", actor=actor, before=before, now=now)
    _notify_market(m, now=now)
    return False


def _fail(
    m: FundMovement, code: str, reason: str, *, via: str, actor: User | None, now: dt.datetime
) -> None:
    before = movement_state(m)
    if m.hold_transfer_id is not None:
        ledger.void_hold(
            actor=actor,
            hold_id=m.hold_transfer_id,
            kind="withdrawal_release",
            metadata={"movement": str(m.public_id), "reason": code},
            idempotency_key=f"funds:{m.public_id}:void",
            now=now,
            business_date=_booking_date(),
        )
    m.reason_code, m.reason = code[:64], (reason or code)[:500]
    m.next_check_at = None
    _change(
        m,
        S.FAILED,
        actor=actor,
        by=via,
        now=now,
        note=m.reason,
        data={"rail_reference": m.rail_reference},
        fields=("reason_code", "reason", "next_check_at", "rail_reference", "resolution"),
    )
    _audit(m, "fail", actor=actor, before=before, now=now, reason=m.reason)


@transaction.atomic(durable=True)
def _note_reversal(pk: int, answer: RailResult, *, now: dt.datetime) -> None:
    m = _locked(pk)
    event(
        m,
        actor=None,
        from_status=m.status,
        to_status=m.status,
        by="rail",
        now=now,
        note=str(
            _("Transfer reversed at the bank")
            if answer.outcome == Outcome.SUCCEEDED
            else _("The reversal at the bank did not go through: ask the bank.")
        ),
        data={"reversal": answer.outcome.value, "rail_reference": answer.rail_reference},
    )


def _summary(m: FundMovement) -> int:
    return int(
        MarketLedgerAccount.objects.get(market=m.market, currency=m.currency).summary_account_id
    )


def endpoint_code(market: Market) -> str:
    """The outbox webhook endpoint that receives a market's notifications (staff set
    its URL and secret: :func:`custodesk.funds.services.market_webhook_save`)."""
    return f"market-{market.code.lower()}"


def _notify_market(m: FundMovement, *, now: dt.datetime) -> None:
    """Queue the market's webhook (the new available balance) in this transaction; a
    market without an endpoint gets none."""
    assert m.contract.sub_ledger_account_id is not None
    b = ledger.balances(actor=m.submitted_by, account_id=m.contract.sub_ledger_account_id)
    queued = webhook_message(
        m, b.posted.minor, (b.pending_debits + b.frozen).minor, b.available.minor
    )
    try:
        with transaction.atomic():
            notify.enqueue_many([queued], now=now)
    except EndpointNotFound:
        logger.info("market %s has no webhook endpoint %s", m.market.code, endpoint_code(m.market))


def webhook_message(m: FundMovement, posted: int, frozen: int, available: int) -> notify.Queued:
    """The market's ``funds.balance_changed`` webhook for ``m``, with the sub-account's
    balance, frozen and available amounts (minor units) right after it."""
    c = m.currency
    return notify.Queued(
        channel="webhook",
        template=WEBHOOK_TEMPLATE,
        recipient=endpoint_code(m.market),
        context={
            "movement_id": str(m.public_id),
            "direction": m.direction,
            "market": m.market.code,
            "member_code": m.contract.member_code,
            "amount": str(money(m).to_decimal()),
            "currency": c,
            "balance": str(Money(posted, c).to_decimal()),
            "frozen": str(Money(frozen, c).to_decimal()),
            "available": str(Money(available, c).to_decimal()),
            "rail_reference": m.rail_reference,
            "business_date": m.business_date.isoformat(),
        },
    )


# -- reconciliation and manual resolution -------------------------------------------------
def reconcile(*, now: dt.datetime, limit: int = 200) -> dict[str, int]:
    """The job: ask the rail about every ``sent`` / ``unknown`` movement whose check is
    due, send approved movements left unsent, end submissions the approval engine never
    received.  Counts per outcome."""
    counts = {"asked": 0, "succeeded": 0, "failed": 0, "unknown": 0, "sent": 0, "abandoned": 0}
    from . import batch

    due = list(
        FundMovement.objects.filter(status__in=(S.SENT, S.UNKNOWN), next_check_at__lte=now)
        .order_by("next_check_at", "pk")
        .select_related(*batch.RELATED)[:limit]
    )
    # asked one by one (the rail's interface), booked together
    batch.apply_outcomes(
        [(m, _ask("status", rail_transfer(m))) for m in due], via="status_query", now=now
    )
    counts["asked"] = len(due)
    for status in FundMovement.objects.filter(pk__in=[m.pk for m in due]).values_list(
        "status", flat=True
    ):
        if status in counts:  # still sent: its booking failed (logged), asked again later
            counts[status] += 1
    stale = FundMovement.objects.filter(status=S.APPROVED, updated_at__lte=now - SEND_GRACE)
    mids = list(stale.values_list("public_id", flat=True)[:limit])
    batch.dispatch_many(movement_ids=mids, now=now)
    counts["sent"] = len(mids)
    orphans = FundMovement.objects.filter(
        Q(approval_request_id=""), status=S.SUBMITTED, created_at__lte=now - SEND_GRACE
    )
    for pk in list(orphans.values_list("pk", flat=True)[:limit]):
        _orphan(pk, now=now)
        counts["abandoned"] += 1
    return counts


@transaction.atomic(durable=True)
def _orphan(pk: int, *, now: dt.datetime) -> None:
    m = _locked(pk)
    if m.status == S.SUBMITTED and not m.approval_request_id:
        reject_within(
            m,
            actor=None,
            reason_code="submission_interrupted",
            reason=str(_("The submission was interrupted before review; submit it again.")),
            now=now,
        )


def resolve_execute(
    *,
    movement: FundMovement,
    outcome: str,
    bank_reference: str,
    reason: str,
    approver: User | None,
    now: dt.datetime,
) -> FundMovement:
    """Book a manual resolution (the approved ``funds.resolve`` request; inside the
    approval's transaction, so the booking and the decision commit together)."""
    result = RailResult(
        Outcome(outcome), bank_reference, "manual_" + outcome if outcome == "failed" else "", reason
    )
    m = movement
    if m.status not in (S.SENT, S.UNKNOWN):
        from .errors import OutcomeNotUnknown

        raise OutcomeNotUnknown(state=m.status)
    m.rail_reference = bank_reference[:64] or m.rail_reference
    m.resolution = FundMovement.Resolution.MANUAL
    if result.outcome == Outcome.SUCCEEDED:
        _succeed(m, via="manual", actor=approver, now=now)
    else:
        _fail(m, "manual_failed", reason, via="manual", actor=approver, now=now)
    return m
