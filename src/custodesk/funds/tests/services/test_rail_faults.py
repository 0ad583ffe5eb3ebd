"""The rail's faults: a time-out later reported as success is credited once; a failure
credits nothing and says why; the market's receiver down for a while still gets each
notification once."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from custodesk.funds import services
from custodesk.funds.models import FundMovement
from custodesk.funds.rails import Outcome, RailResult
from custodesk.funds.tests.conftest import deposit, withdraw
from custodesk.ledger import facade as ledger
from custodesk.ledger.models import LedgerTransfer
from custodesk.notify import services as notify

pytestmark = pytest.mark.django_db


def available(contract: Any, actor: Any) -> str:
    b = ledger.balances(actor=actor, account_id=contract.sub_ledger_account_id)
    return str(b.available.to_decimal())


def approve(actor: Any, m: Any, clock: Any) -> FundMovement:
    return services.movement_approve(actor=actor, movement_id=m.public_id, now=clock.now())


def test_time_out_then_success_is_credited_once(contract, operator, reviewer, clock):
    ending = contract.card.card_number[-4:]
    with override_settings(CUSTODESK_RAIL_UNKNOWN_CARDS=ending, CUSTODESK_RAIL_UNKNOWN_SECONDS=90):
        m = approve(reviewer, deposit(operator, contract, "250.00", clock, "t-1").movement, clock)
        assert m.status == "unknown" and m.reason_code == ""
        assert available(contract, operator) == "0.00"  # nothing before the rail confirms
        assert services.reconcile(now=clock.now())["asked"] == 0  # not due yet
        clock.advance(seconds=61)
        counts = services.reconcile(now=clock.now())
        assert counts["asked"] == 1 and counts["unknown"] == 1  # the bank still processes it
        assert available(contract, operator) == "0.00"
        clock.advance(seconds=61)
        assert services.reconcile(now=clock.now())["succeeded"] == 1
        # the same answer again (a late reply, a second job) books nothing more
        services.dispatch(movement_id=m.public_id, now=clock.now())
        clock.advance(hours=1)
        services.reconcile(now=clock.now())
    m.refresh_from_db()
    assert (m.status, m.resolution) == ("succeeded", "status_query")
    assert available(contract, operator) == "250.00"
    assert (
        LedgerTransfer.objects.filter(kind="deposit", metadata__movement=str(m.public_id)).count()
        == 1
    )
    steps = [(e.from_status, e.to_status) for e in m.events.all()]
    assert steps[-3:] == [("approved", "sent"), ("sent", "unknown"), ("unknown", "succeeded")]


def test_a_second_success_answer_books_nothing(contract, operator, reviewer, clock):
    from custodesk.funds import dispatch

    m = approve(reviewer, deposit(operator, contract, "40.00", clock, "t-2").movement, clock)
    assert m.status == "succeeded"
    dispatch.apply_outcome(
        movement_id=m.public_id,
        result=RailResult(Outcome.SUCCEEDED, "X"),
        via="rail",
        now=clock.now(),
    )
    assert available(contract, operator) == "40.00"


@override_settings(CUSTODESK_RAIL_FAIL_ABOVE="500.00")
def test_failure_credits_nothing_and_says_why(contract, operator, reviewer, clock):
    m = approve(reviewer, deposit(operator, contract, "600.00", clock, "f-1").movement, clock)
    assert (m.status, m.reason_code) == ("failed", "amount_over_bank_limit")
    assert "limit" in m.reason
    assert available(contract, operator) == "0.00"
    # a withdrawal the bank refuses: its hold is released
    approve(reviewer, deposit(operator, contract, "400.00", clock, "f-2").movement, clock)
    w = withdraw(operator, contract, "400.00", clock, "f-3").movement
    assert available(contract, operator) == "0.00"
    with override_settings(CUSTODESK_RAIL_FAIL_CARDS=contract.card.card_number[-4:]):
        w = approve(reviewer, w, clock)
    assert (w.status, w.reason_code) == ("failed", "card_account_frozen")
    assert available(contract, operator) == "400.00"


def test_receiver_down_for_a_while_gets_each_notification_once(
    contract, operator, reviewer, webhook, clock
):
    webhook.down = True
    for n in range(3):
        approve(reviewer, deposit(operator, contract, "10.00", clock, f"n-{n}").movement, clock)
    assert notify.deliver_due(clock=clock)  # tried, refused
    assert webhook.hits == 3 and not webhook.processed
    clock.advance(minutes=5)
    notify.deliver_due(clock=clock)  # still down
    webhook.down = False
    clock.advance(hours=2)
    notify.deliver_due(clock=clock)
    clock.advance(hours=2)
    notify.deliver_due(clock=clock)  # nothing left to send
    assert webhook.bad_signatures == 0
    assert len(webhook.processed) == 3
    bodies = sorted(webhook.processed.values(), key=lambda b: b["data"]["available"])
    assert [b["data"]["available"] for b in bodies] == ["10.00", "20.00", "30.00"]
    assert {b["event"] for b in bodies} == {"funds.balance_changed"}
    assert bodies[0]["data"]["member_code"] == "M0001"


def test_a_deposit_the_ledger_cannot_credit_is_reversed_at_the_rail(
    contract, operator, reviewer, clock
):
    m = deposit(operator, contract, "15.00", clock, "r-1").movement
    ledger.freeze(
        actor=None,
        account_id=contract.sub_ledger_account_id,
        kind="credit",
        reason_code="court_order",
        now=clock.now(),
    )
    m = approve(reviewer, m, clock)
    assert (m.status, m.reason_code) == ("failed", "credit_refused")
    notes = [e.note for e in m.events.all()]
    assert notes[-1] == "Transfer reversed at the bank"
    assert available(contract, operator) == "0.00"
