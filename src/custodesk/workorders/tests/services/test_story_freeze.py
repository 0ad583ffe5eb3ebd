"""Acceptance: a freeze-client order rejected with a reason, a new one approved — the
client and its accounts frozen through the brokerage's services, audited with the
order; the client told in its language."""

from __future__ import annotations

import pytest

from custodesk.audit.models import AuditEntry
from custodesk.brokerage.models import Account, Client
from custodesk.notify.models import Message
from custodesk.workorders import services
from custodesk.workorders.models import WorkOrder

pytestmark = pytest.mark.django_db


def test_freeze_client_rejected_then_approved_freezes_the_client_and_its_accounts(
    admin, checker, make_client, clock
):
    client, accounts = make_client(accounts=2)
    first = services.order_create(
        actor=admin, kind="freeze_client", client_no=client.client_no,
        reason="Court order 12", now=clock.now(),
    )  # fmt: skip
    assert first.status == "submitted" and first.approval_request_id is not None
    assert first.number.startswith("WO")

    rejected = services.order_reject(
        actor=checker, order_id=first.public_id, reason="Wrong court order", now=clock.now()
    )
    assert (rejected.status, rejected.reject_reason) == ("rejected", "Wrong court order")
    client.refresh_from_db()
    assert client.status == "active"

    clock.advance(minutes=5)
    second = services.order_create(
        actor=admin, kind="freeze_client", client_no=client.client_no,
        reason="Court order 12 (amended)", now=clock.now(),
    )  # fmt: skip
    with pytest.raises(Exception) as refused:  # the creator may not approve its own order
        services.order_approve(actor=admin, order_id=second.public_id, now=clock.now())
    assert refused.value.code == "initiator_cannot_approve"

    done = services.order_approve(actor=checker, order_id=second.public_id, now=clock.now())
    assert done.status == "executed"
    assert (done.approved_by, done.approved_at) == (checker, clock.now())
    assert done.result["accounts_frozen"] == sorted(a.number for a in accounts)
    client.refresh_from_db()
    assert client.status == Client.Status.FROZEN
    assert all(a.frozen for a in Account.objects.filter(client=client))

    # the brokerage's own audit rows, with the order's approval request and number
    rows = AuditEntry.objects.filter(
        action__in=["brokerage.client.freeze", "brokerage.account.freeze"]
    )
    assert rows.count() == 3
    for row in rows:
        assert row.approval_request_id == str(done.approval_request_id)
        assert row.reason.startswith(done.number + ": ")
    steps = list(done.history.values_list("action", "to_status"))
    assert steps == [("create", "draft"), ("submit", "submitted"), ("approve", "approved"),
                     ("execute", "executed")]  # fmt: skip
    assert AuditEntry.objects.filter(
        object_type="workorder", object_id=str(done.public_id), action="workorders.order.execute"
    ).exists()
    # the client told, in its language (a Hong Kong client: traditional Chinese)
    notices = Message.objects.filter(template="workorders.client_frozen")
    assert sorted(notices.values_list("channel", "language")) == [
        ("email", "zh-hant"), ("sms", "zh-hant")
    ]  # fmt: skip
    assert done.messages.count() == 2
    assert WorkOrder.objects.get(pk=first.pk).status == "rejected"


def test_a_reason_is_required_and_nothing_is_stored(admin, make_client, clock):
    client, _ = make_client(accounts=0)
    with pytest.raises(Exception) as bad:
        services.order_create(
            actor=admin, kind="freeze_client", client_no=client.client_no, reason=" ",
            now=clock.now(),
        )  # fmt: skip
    assert bad.value.problem()["errors"][0]["field"] == "reason"
    assert not WorkOrder.objects.exists()
