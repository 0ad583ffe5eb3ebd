"""Bulk approval of deposits and withdrawals (``approvals.services.batch_decide`` over
``approvals.batch.approve_many`` and ``funds.batch``): each movement approved, sent,
booked and notified exactly as if it had been approved alone — the holds posted or
voided, the market's webhooks carrying the balances as they stood right after each
movement, refused items leaving nothing behind, a time-out settled once by the job,
and two reviewers racing over the same lot (PostgreSQL) executing each request once.

The tests commit for real (``transaction=True``): the movements are sent to the rail
once the approval's transaction commits (``transaction.on_commit``)."""

from __future__ import annotations

import uuid
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Q

from custodesk.approvals import services as approvals
from custodesk.approvals.models import RequestAction
from custodesk.audit.models import AuditEntry
from custodesk.audit.services import verify_chain
from custodesk.core.money import Money
from custodesk.funds import services
from custodesk.funds.dispatch import WEBHOOK_TEMPLATE
from custodesk.funds.models import FundMovement
from custodesk.funds.tests.conftest import add_user, deposit, withdraw
from custodesk.funds.tests.services.test_concurrency import run_threads
from custodesk.ledger import facade as ledger
from custodesk.ledger import services as ledger_services
from custodesk.ledger.models import LedgerTransfer
from custodesk.notify.models import Message

pytestmark = pytest.mark.django_db(transaction=True)


# -- helpers --------------------------------------------------------------------------------
def figures(contract: Any, actor: Any) -> tuple[str, str, str]:
    """(balance, available, frozen) of the member's sub-account, as the webhook says them."""
    b = ledger.balances(actor=actor, account_id=contract.sub_ledger_account_id)
    return (
        str(b.posted.to_decimal()),
        str(b.available.to_decimal()),
        str((b.pending_debits + b.frozen).to_decimal()),
    )


def fund(operator: Any, reviewer: Any, contract: Any, clock: Any, amount: str) -> FundMovement:
    m = deposit(operator, contract, amount, clock, "funding").movement
    m = services.movement_approve(actor=reviewer, movement_id=m.public_id, now=clock.now())
    assert m.status == "succeeded"
    return m


def movement(sub: Any) -> FundMovement:
    return FundMovement.objects.get(pk=sub.movement.pk)


def steps(m: FundMovement) -> list[tuple[str, str]]:
    return [(e.from_status, e.to_status) for e in m.events.all()]


def hold_state(m: FundMovement) -> str:
    return LedgerTransfer.objects.get(public_id=m.hold_transfer_id).pending_state


def bookings(m: FundMovement) -> int:
    """Ledger bookings of the movement's money (a deposit's credit, a withdrawal's post)."""
    return LedgerTransfer.objects.filter(
        kind=m.direction, metadata__movement=str(m.public_id)
    ).count()


def actions(request_id: str, kind: str) -> int:
    return RequestAction.objects.filter(request__public_id=request_id, kind=kind).count()


def audits(m: FundMovement, action: str) -> int:
    return AuditEntry.objects.filter(object_id=str(m.public_id), action=action).count()


def messages(movements: list[FundMovement]) -> list[Message]:
    """The market's webhook messages about ``movements``, in the order they were queued."""
    ids = {str(m.public_id) for m in movements}
    return [
        msg
        for msg in Message.objects.filter(template=WEBHOOK_TEMPLATE).order_by("id")
        if msg.context["movement_id"] in ids
    ]


def said(msg: Message) -> tuple[str, str, str]:
    c = msg.context
    return c["balance"], c["available"], c["frozen"]


def as_of(account_id: int, transfer_pk: int, currency: str = "CNY") -> tuple[str, str, str]:
    """The account's (balance, available, frozen) right after the ledger transfer
    ``transfer_pk``, recomputed from the ledger's rows up to it (an oracle independent
    of the code under test; no freezes in these tests)."""
    rows = list(
        LedgerTransfer.objects.filter(id__lte=transfer_pk).filter(
            Q(debit_account_id=account_id) | Q(credit_account_id=account_id)
        )
    )
    resolved = set(
        LedgerTransfer.objects.filter(id__lte=transfer_pk, pending__isnull=False).values_list(
            "pending_id", flat=True
        )
    )
    posted = pending = 0
    for r in rows:
        sign = 1 if r.credit_account_id == account_id else -1
        if r.flag in ("posted", "post_pending"):
            posted += sign * r.amount
        elif r.flag == "pending" and sign < 0 and r.id not in resolved:
            pending += r.amount

    def fmt(minor: int) -> str:
        return str(Money(minor, currency).to_decimal())

    return fmt(posted), fmt(posted - pending), fmt(pending)


def check_running_figures(contract: Any, movements: list[FundMovement]) -> list[Message]:
    """One webhook per movement, queued in the ledger's booking order, each with the
    balances the ledger shows right after that movement's booking."""
    got = messages(movements)
    by_id = {str(m.public_id): m for m in movements}
    assert sorted(msg.context["movement_id"] for msg in got) == sorted(by_id)
    booking = {
        str(m.public_id): LedgerTransfer.objects.get(public_id=m.ledger_transfer_id).id
        for m in movements
    }
    queued = [booking[msg.context["movement_id"]] for msg in got]
    assert queued == sorted(queued), "webhooks queued out of the ledger's booking order"
    for msg in got:
        expected = as_of(contract.sub_ledger_account_id, booking[msg.context["movement_id"]])
        assert said(msg) == expected, msg.context
        m = by_id[msg.context["movement_id"]]
        assert msg.context["amount"] == str(Money(m.amount, m.currency).to_decimal())
        assert msg.context["direction"] == m.direction
        assert msg.context["rail_reference"] == m.rail_reference != ""
        assert msg.recipient == "market-shfe" and msg.channel == "webhook"
    return got


def sound() -> None:
    assert ledger_services.verify() == []
    assert list(verify_chain()) == []


# -- 1. one reviewer, five withdrawals of one member ----------------------------------------
def test_five_withdrawals_approved_in_one_call(contract, operator, reviewer, webhook, clock):
    funding = fund(operator, reviewer, contract, clock, "200.00")
    amounts = ["10.00", "20.00", "30.00", "45.50", "7.25"]
    subs = [withdraw(operator, contract, a, clock, f"w-{i}") for i, a in enumerate(amounts)]
    assert figures(contract, operator) == ("200.00", "87.25", "112.75")  # all held

    items = approvals.batch_decide(
        actor=reviewer,
        request_ids=[s.request_id for s in subs],
        decision="approve",
        now=clock.now(),
    )
    assert [(i.request_id, i.ok, i.executed, i.status, i.code) for i in items] == [
        (s.request_id, True, True, "approved", None) for s in subs
    ]
    ms = [movement(s) for s in subs]
    assert [m.status for m in ms] == ["succeeded"] * 5
    assert all(m.rail_reference and m.ledger_transfer_id for m in ms)
    assert all(m.approved_by_id == reviewer.pk for m in ms)
    assert all(m.approval_request_id == s.request_id for m, s in zip(ms, subs, strict=True))
    assert figures(contract, operator) == ("87.25", "87.25", "0.00")
    assert [hold_state(m) for m in ms] == ["posted"] * 5
    assert [bookings(m) for m in ms] == [1] * 5
    for m in ms:
        assert [(e.from_status, e.to_status, e.actor_name) for e in m.events.all()] == [
            ("", "submitted", "Ent.Operator"),
            ("submitted", "approved", "Ent.Reviewer"),
            ("approved", "sent", "rail"),
            ("sent", "succeeded", "rail"),
        ]
        assert (audits(m, "funds.approve"), audits(m, "funds.succeed")) == (1, 1)
    for s in subs:
        assert (actions(s.request_id, "approve"), actions(s.request_id, "execute")) == (1, 1)
        assert AuditEntry.objects.filter(object_id=s.request_id, action="approval.execute").exists()

    # the market hears of each withdrawal, with the balances right after it: the later
    # withdrawals' holds still pending (frozen), the available balance already final
    got = messages(ms)
    assert [msg.context["movement_id"] for msg in got] == [str(m.public_id) for m in ms]
    assert [said(msg) for msg in got] == [
        ("190.00", "87.25", "102.75"),
        ("170.00", "87.25", "82.75"),
        ("140.00", "87.25", "52.75"),
        ("94.50", "87.25", "7.25"),
        ("87.25", "87.25", "0.00"),
    ]
    check_running_figures(contract, ms)
    assert len(messages([funding])) == 1  # the funding's own, queued before the batch
    sound()


# -- 2. a mixed lot: refused items, an unknown id, a rail failure ----------------------------
def test_refused_items_leave_nothing_and_a_rail_failure_releases_its_hold(
    contract, operator, reviewer, webhook, clock, settings
):
    fund(operator, reviewer, contract, clock, "1000.00")
    a = withdraw(operator, contract, "10.00", clock, "a")
    rejected = withdraw(operator, contract, "20.00", clock, "b")
    failing = withdraw(operator, contract, "600.00", clock, "c")
    d = withdraw(operator, contract, "30.00", clock, "d")
    withdrawn = withdraw(operator, contract, "40.00", clock, "e")
    services.movement_reject(
        actor=reviewer, movement_id=rejected.movement.public_id, reason="no", now=clock.now()
    )
    approvals.withdraw(actor=operator, request_id=withdrawn.request_id, now=clock.now())
    assert figures(contract, operator) == ("1000.00", "360.00", "640.00")
    unknown = str(uuid.uuid4())
    settings.CUSTODESK_RAIL_FAIL_ABOVE = "500.00"  # the bank refuses the 600.00

    order = [a, rejected, unknown, failing, withdrawn, d]
    items = approvals.batch_decide(
        actor=reviewer,
        request_ids=[x if isinstance(x, str) else x.request_id for x in order],
        decision="approve",
        now=clock.now(),
    )
    assert [(i.ok, i.executed, i.code) for i in items] == [
        (True, True, None),
        (False, False, "request_not_pending"),
        (False, False, "not_found"),
        (True, True, None),  # approved: the rail refused it after the decision
        (False, False, "request_not_pending"),
        (True, True, None),
    ]
    assert items[2].request_id == unknown
    ok_a, ok_d, failed = movement(a), movement(d), movement(failing)
    assert (ok_a.status, ok_d.status) == ("succeeded", "succeeded")
    assert (failed.status, failed.reason_code) == ("failed", "amount_over_bank_limit")
    assert failed.ledger_transfer_id is None and failed.completed_at is not None
    assert steps(failed) == [
        ("", "submitted"),
        ("submitted", "approved"),
        ("approved", "sent"),
        ("sent", "failed"),
    ]
    assert (hold_state(ok_a), hold_state(ok_d), hold_state(failed)) == ("posted",) * 2 + ("voided",)
    assert audits(failed, "funds.fail") == 1
    # the 600.00 is available again; only the two successes left the account
    assert figures(contract, operator) == ("960.00", "960.00", "0.00")

    # the refused ones: as they were, no approval recorded, no state change, no booking
    for sub, code in ((rejected, "rejected"), (withdrawn, "withdrawn")):
        m = movement(sub)
        assert (m.status, m.reason_code, m.approved_by_id) == ("rejected", code, None)
        assert steps(m) == [("", "submitted"), ("submitted", "rejected")]
        assert hold_state(m) == "voided" and bookings(m) == 0
        assert (actions(sub.request_id, "approve"), actions(sub.request_id, "execute")) == (0, 0)
        assert audits(m, "funds.approve") == 0
    assert not RequestAction.objects.filter(request__public_id=unknown).exists()
    for sub in (a, d, failing):
        assert (actions(sub.request_id, "approve"), actions(sub.request_id, "execute")) == (1, 1)

    # the market hears of the two withdrawals that went through, not of the failed one
    check_running_figures(contract, [ok_a, ok_d])
    assert messages([failed]) == []
    sound()


# -- 3. the rail times out for the lot; the job settles it once ------------------------------
def test_a_time_out_for_the_lot_is_settled_once_by_the_job(
    contract, operator, reviewer, webhook, clock, settings
):
    fund(operator, reviewer, contract, clock, "500.00")
    subs = [withdraw(operator, contract, a, clock, f"t-{a}") for a in ("50.00", "70.00", "80.00")]
    settings.CUSTODESK_RAIL_UNKNOWN_CARDS = contract.card.card_number[-4:]
    settings.CUSTODESK_RAIL_UNKNOWN_SECONDS = 90

    items = approvals.batch_decide(
        actor=reviewer,
        request_ids=[s.request_id for s in subs],
        decision="approve",
        now=clock.now(),
    )
    assert [(i.ok, i.executed) for i in items] == [(True, True)] * 3
    ms = [movement(s) for s in subs]
    assert [(m.status, m.ledger_transfer_id) for m in ms] == [("unknown", None)] * 3
    assert [hold_state(m) for m in ms] == ["pending"] * 3  # nothing paid, nothing released
    assert figures(contract, operator) == ("500.00", "300.00", "200.00")
    assert messages(ms) == []
    assert [audits(m, "funds.outcome_unknown") for m in ms] == [1] * 3

    assert services.reconcile(now=clock.now())["asked"] == 0  # not due yet
    clock.advance(seconds=61)
    counts = services.reconcile(now=clock.now())
    assert (counts["asked"], counts["unknown"], counts["succeeded"]) == (3, 3, 0)  # processing
    assert figures(contract, operator) == ("500.00", "300.00", "200.00")
    clock.advance(seconds=61)
    counts = services.reconcile(now=clock.now())
    assert (counts["asked"], counts["succeeded"], counts["unknown"], counts["failed"]) == (
        3,
        3,
        0,
        0,
    )
    # late answers and later runs book nothing more
    for m in ms:
        services.dispatch(movement_id=m.public_id, now=clock.now())
    clock.advance(hours=1)
    assert services.reconcile(now=clock.now())["asked"] == 0

    ms = [movement(s) for s in subs]
    assert [(m.status, m.resolution) for m in ms] == [("succeeded", "status_query")] * 3
    assert figures(contract, operator) == ("300.00", "300.00", "0.00")
    assert [hold_state(m) for m in ms] == ["posted"] * 3
    assert [bookings(m) for m in ms] == [1] * 3
    for m in ms:
        assert steps(m)[-3:] == [
            ("approved", "sent"),
            ("sent", "unknown"),
            ("unknown", "succeeded"),
        ]
        assert audits(m, "funds.succeed") == 1
    got = check_running_figures(contract, ms)
    assert [said(msg) for msg in got] == [
        ("450.00", "300.00", "150.00"),
        ("380.00", "300.00", "80.00"),
        ("300.00", "300.00", "0.00"),
    ]
    sound()


# -- 4. two reviewers approve the same forty at once (PostgreSQL) ---------------------------
N = 40


@pytest.mark.postgres_only
def test_two_reviewers_bulk_approve_the_same_forty_at_once(
    on_postgres, contract, enterprise, operator, reviewer, webhook, clock
):
    if not on_postgres:
        pytest.skip("row-lock races run on PostgreSQL (SQLite serialises writers)")
    second = add_user(enterprise, "ent.reviewer2", "custody_reviewer", now=clock.now())
    fund(operator, reviewer, contract, clock, "1000.00")
    subs = [withdraw(operator, contract, f"{n}.00", clock, f"r-{n}") for n in range(1, N + 1)]
    total = N * (N + 1) // 2  # 820.00
    ids = [s.request_id for s in subs]
    reviewers = [reviewer, second]
    orders = [ids, ids[::-1]]

    def decide(t: int) -> list[Any]:
        return approvals.batch_decide(
            actor=reviewers[t], request_ids=orders[t], decision="approve", now=clock.now()
        )

    results = run_threads(2, decide)
    answers = [{i.request_id: i for i in r} for r in results]
    assert [sorted(a) for a in answers] == [sorted(ids)] * 2
    for rid in ids:
        mine = [a[rid] for a in answers]
        assert sorted(i.ok for i in mine) == [False, True], rid
        won = next(i for i in mine if i.ok)
        lost = next(i for i in mine if not i.ok)
        assert (won.executed, won.status) == (True, "approved")
        assert lost.code in {"request_not_pending", "precondition_failed"}, lost
        assert (actions(rid, "approve"), actions(rid, "execute")) == (1, 1)
        assert AuditEntry.objects.filter(object_id=rid, action="approval.execute").count() == 1

    ms = [movement(s) for s in subs]
    assert Counter(m.status for m in ms) == {"succeeded": N}
    for m in ms:
        assert [t for _f, t in steps(m)].count("succeeded") == 1
        assert steps(m) == [
            ("", "submitted"),
            ("submitted", "approved"),
            ("approved", "sent"),
            ("sent", "succeeded"),
        ]
        assert bookings(m) == 1 and hold_state(m) == "posted"
        assert (audits(m, "funds.approve"), audits(m, "funds.succeed")) == (1, 1)
    left = str(Decimal(1000 - total).quantize(Decimal("0.01")))
    assert figures(contract, operator) == (left, left, "0.00")
    check_running_figures(contract, ms)
    sound()


# -- 5. deposits and withdrawals in one call --------------------------------------------------
def test_deposits_and_withdrawals_in_one_call(contract, operator, reviewer, webhook, clock):
    fund(operator, reviewer, contract, clock, "100.00")
    w1 = withdraw(operator, contract, "30.00", clock, "mix-w1")
    d1 = deposit(operator, contract, "50.00", clock, "mix-d1")
    w2 = withdraw(operator, contract, "15.00", clock, "mix-w2")
    d2 = deposit(operator, contract, "25.00", clock, "mix-d2")
    assert figures(contract, operator) == ("100.00", "55.00", "45.00")

    subs = [d1, w1, d2, w2]  # two action types, interleaved
    items = approvals.batch_decide(
        actor=reviewer,
        request_ids=[s.request_id for s in subs],
        decision="approve",
        now=clock.now(),
    )
    assert [(i.request_id, i.ok, i.executed) for i in items] == [
        (s.request_id, True, True) for s in subs
    ]
    ms = [movement(s) for s in subs]
    assert [(m.direction, m.status) for m in ms] == [
        ("deposit", "succeeded"),
        ("withdrawal", "succeeded"),
        ("deposit", "succeeded"),
        ("withdrawal", "succeeded"),
    ]
    assert figures(contract, operator) == ("130.00", "130.00", "0.00")
    assert (hold_state(ms[1]), hold_state(ms[3])) == ("posted", "posted")
    assert [bookings(m) for m in ms] == [1] * 4
    credits = [LedgerTransfer.objects.get(public_id=m.ledger_transfer_id) for m in ms[::2]]
    assert [(c.kind, c.flag, c.amount) for c in credits] == [
        ("deposit", "posted", 5000),
        ("deposit", "posted", 2500),
    ]
    for m in ms:
        assert steps(m) == [
            ("", "submitted"),
            ("submitted", "approved"),
            ("approved", "sent"),
            ("sent", "succeeded"),
        ]
        assert (audits(m, "funds.approve"), audits(m, "funds.succeed")) == (1, 1)
    for sub in subs:
        assert (actions(sub.request_id, "approve"), actions(sub.request_id, "execute")) == (1, 1)
    check_running_figures(contract, ms)
    sound()
