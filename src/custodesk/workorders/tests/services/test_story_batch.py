"""Acceptance: batch approval of 20 orders, 2 of them the approver's own and 1 whose
target was closed meanwhile → 17 executed, 3 refused each with its reason."""

from __future__ import annotations

import pytest

from custodesk.brokerage import services as brokerage
from custodesk.brokerage.models import Account
from custodesk.workorders import services
from custodesk.workorders.models import WorkOrder

pytestmark = pytest.mark.django_db


def test_batch_approve_twenty_orders_seventeen_executed_three_refused(
    admin, checker, make_client, clock
):
    orders = []
    for i in range(20):
        _client, [account] = make_client(accounts=1, phone=f"+8529100{i:04d}")
        creator = checker if i in (3, 11) else admin
        orders.append(
            services.order_create(
                actor=creator,
                kind="freeze_account",
                account_numbers=[account.number],
                reason=f"AML review {i}",
                now=clock.now(),
            )
        )
    # the target of one order is closed meanwhile (by the brokerage service)
    closed = orders[7].targets.get().account
    brokerage.account_close(actor=admin, account_id=closed.public_id, reason="Client left",
                            now=clock.now())  # fmt: skip

    results = services.batch_decide(
        actor=checker, order_ids=[o.public_id for o in orders], decision="approve", now=clock.now()
    )
    assert len(results) == 20
    done = [r for r in results if r.ok]
    refused = {r.number: r for r in results if not r.ok}
    assert len(done) == 17 and all(r.status == "executed" for r in done)
    assert set(refused) == {orders[3].number, orders[11].number, orders[7].number}
    assert refused[orders[3].number].code == "initiator_cannot_approve"
    assert refused[orders[11].number].code == "initiator_cannot_approve"
    assert refused[orders[7].number].code == "precondition_failed"
    assert refused[orders[7].number].title  # the cause, readable
    # the refused stay pending (to be rejected or decided by someone else)
    assert WorkOrder.objects.filter(status="executed").count() == 17
    assert WorkOrder.objects.filter(status="submitted").count() == 3
    assert Account.objects.filter(frozen=True).count() == 17


def test_batch_reject_needs_a_reason_and_rejects_each(admin, checker, make_client, clock):
    _client, accounts = make_client(accounts=2)
    a = services.order_create(
        actor=admin,
        kind="freeze_account",
        account_numbers=[accounts[0].number],
        reason="x",
        now=clock.now(),
    )
    b = services.order_create(actor=admin, kind="freeze_account",
                              account_numbers=[accounts[1].number], reason="y", now=clock.now(),
                              submit=False)  # fmt: skip
    with pytest.raises(Exception) as bad:
        services.batch_decide(actor=checker, order_ids=[a.public_id], decision="reject",
                              now=clock.now())  # fmt: skip
    assert bad.value.code == "validation_failed"
    results = services.batch_decide(
        actor=checker,
        order_ids=[a.public_id, b.public_id],
        decision="reject",
        reason="Not needed",
        now=clock.now(),
    )
    assert [(r.ok, r.status) for r in results] == [(True, "rejected"), (False, "draft")]
    assert results[1].code == "order_state"
