"""The issue's story through the services: an enterprise's operator deposits, its
reviewer approves, the rail confirms and the sub-account is credited; a withdrawal
holds its amount until the reviewer decides; an overdraft is refused with nothing held."""

from __future__ import annotations

from typing import Any

import pytest

from custodesk.core.errors import PermissionDenied
from custodesk.funds import services
from custodesk.funds.errors import InsufficientFunds
from custodesk.funds.models import FundMovement
from custodesk.funds.tests.conftest import deposit, withdraw
from custodesk.ledger import facade as ledger

pytestmark = pytest.mark.django_db


def balances(contract: Any, actor: Any) -> tuple[str, str, str]:
    b = ledger.balances(actor=actor, account_id=contract.sub_ledger_account_id)
    frozen = b.pending_debits + b.frozen
    return str(b.posted.to_decimal()), str(b.available.to_decimal()), str(frozen.to_decimal())


def test_deposit_approved_then_withdrawal_held_and_rejected(contract, operator, reviewer, clock):
    sub = deposit(operator, contract, "1000.00", clock, "d-1")
    m = sub.movement
    assert not sub.executed and m.status == "submitted"
    assert balances(contract, operator) == ("0.00", "0.00", "0.00")  # nothing before review
    with pytest.raises(PermissionDenied):  # the operator does not review
        services.movement_approve(actor=operator, movement_id=m.public_id, now=clock.now())
    m = services.movement_approve(actor=reviewer, movement_id=m.public_id, now=clock.now())
    assert m.status == "succeeded" and m.rail_reference and m.ledger_transfer_id
    assert balances(contract, operator) == ("1000.00", "1000.00", "0.00")
    steps = [(e.from_status, e.to_status, e.actor_name) for e in m.events.all()]
    assert steps == [
        ("", "submitted", "Ent.Operator"),
        ("submitted", "approved", "Ent.Reviewer"),
        ("approved", "sent", "rail"),
        ("sent", "succeeded", "rail"),
    ]

    w = withdraw(operator, contract, "300.00", clock, "w-1").movement
    assert w.status == "submitted" and w.hold_transfer_id
    assert balances(contract, operator) == ("1000.00", "700.00", "300.00")
    w = services.movement_reject(
        actor=reviewer, movement_id=w.public_id, reason="not today", now=clock.now()
    )
    assert (w.status, w.reason_code, w.reason) == ("rejected", "rejected", "not today")
    assert balances(contract, operator) == ("1000.00", "1000.00", "0.00")

    with pytest.raises(InsufficientFunds) as refused:
        withdraw(operator, contract, "1200.00", clock, "w-2")
    assert refused.value.code == "insufficient_funds"
    assert refused.value.data["available"] == "1000.00"
    assert balances(contract, operator) == ("1000.00", "1000.00", "0.00")
    assert not FundMovement.objects.filter(idempotency_key="w-2").exists()

    w = withdraw(operator, contract, "300.00", clock, "w-3").movement
    w = services.movement_approve(actor=reviewer, movement_id=w.public_id, now=clock.now())
    assert w.status == "succeeded"
    assert balances(contract, operator) == ("700.00", "700.00", "0.00")


def test_same_key_answers_the_first_submission(contract, operator, clock):
    first = deposit(operator, contract, "10.00", clock, "same")
    again = deposit(operator, contract, "10.00", clock, "same")
    assert again.replayed and again.movement.pk == first.movement.pk
    assert FundMovement.objects.count() == 1
