"""The reconciliation job's other duties, and the ends of a request that was never
approved: withdrawn by its submitter or expired — each releases a withdrawal's hold."""

from __future__ import annotations

from typing import Any

import pytest

from custodesk.approvals import services as approvals
from custodesk.funds import services
from custodesk.funds.models import FundMovement
from custodesk.funds.tests.conftest import deposit, withdraw
from custodesk.ledger import facade as ledger

pytestmark = pytest.mark.django_db


def available(contract: Any, actor: Any) -> str:
    b = ledger.balances(actor=actor, account_id=contract.sub_ledger_account_id)
    return str(b.available.to_decimal())


@pytest.fixture
def funded(contract, operator, reviewer, clock):
    m = deposit(operator, contract, "100.00", clock, "fund").movement
    services.movement_approve(actor=reviewer, movement_id=m.public_id, now=clock.now())
    return contract


def test_withdrawn_and_expired_requests_release_their_holds(funded, operator, clock):
    w1 = withdraw(operator, funded, "30.00", clock, "w-1")
    w2 = withdraw(operator, funded, "20.00", clock, "w-2")
    assert available(funded, operator) == "50.00"
    approvals.withdraw(actor=operator, request_id=w1.request_id, reason="typo", now=clock.now())
    m1 = FundMovement.objects.get(pk=w1.movement.pk)
    assert (m1.status, m1.reason_code) == ("rejected", "withdrawn")
    assert available(funded, operator) == "80.00"
    clock.advance(days=30)
    assert approvals.expire_due(now=clock.now()) == 1
    m2 = FundMovement.objects.get(pk=w2.movement.pk)
    assert (m2.status, m2.reason_code, m2.reason) == ("rejected", "expired", "Not reviewed in time")
    assert available(funded, operator) == "100.00"


def test_an_approval_whose_sending_was_lost_is_sent_by_the_job(funded, operator, reviewer, clock):
    """Approved through the engine but the process stopped before the rail was called
    (here: the on-commit hook of a test transaction never runs)."""
    w = withdraw(operator, funded, "40.00", clock, "w-3")
    approvals.approve(actor=reviewer, request_id=w.request_id, now=clock.now())
    assert FundMovement.objects.get(pk=w.movement.pk).status == "approved"
    assert services.reconcile(now=clock.now())["sent"] == 0  # give the hook its chance
    clock.advance(minutes=3)
    assert services.reconcile(now=clock.now())["sent"] == 1
    assert FundMovement.objects.get(pk=w.movement.pk).status == "succeeded"
    assert available(funded, operator) == "60.00"


def test_a_submission_the_engine_never_received_is_ended(funded, operator, clock):
    from custodesk.funds.services import _create

    contract = funded
    m = _create(
        actor=operator,
        contract=contract,
        direction="withdrawal",
        amount=services.parse_amount("25.00", "CNY"),
        key="orphan",
        now=clock.now(),
        business_date=clock.business_date(),
    )
    assert available(contract, operator) == "75.00"
    clock.advance(minutes=3)
    assert services.reconcile(now=clock.now())["abandoned"] == 1
    m.refresh_from_db()
    assert (m.status, m.reason_code) == ("rejected", "submission_interrupted")
    assert available(contract, operator) == "100.00"
