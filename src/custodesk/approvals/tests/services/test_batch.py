"""Bulk approval (approvals.batch): a chunk of requests decided set-based in one
transaction, each answered as a single approval would be."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from custodesk.approvals import batch, flows, services
from custodesk.approvals.models import ApprovalRequest, RequestAction
from custodesk.audit.models import AuditEntry
from custodesk.audit.services import verify_chain
from custodesk.testing.actions import BULK_PAYMENT, PAYMENT
from custodesk.testing.governance import configure_flow

pytestmark = pytest.mark.django_db

LevelInput = flows.LevelInput


def pay(actor, ref, clock, action=BULK_PAYMENT, amount="10.00"):
    return services.submit(
        actor=actor,
        action_type=action,
        payload={"reference": ref, "amount": amount, "currency": "HKD"},
        now=clock.now(),
    ).request


def bulk(actor, ids, clock):
    return services.batch_decide(actor=actor, request_ids=ids, decision="approve", now=clock.now())


def executed(req):
    return RequestAction.objects.filter(request=req, kind=RequestAction.Kind.EXECUTE).count()


def approvals_of(req):
    return RequestAction.objects.filter(request=req, kind=RequestAction.Kind.APPROVE).count()


@pytest.fixture
def approver(make_user):
    return make_user("approver2", roles=["admin"])


def test_a_bulk_executes_each_request_once_and_audits_it(admin, approver, clock):
    reqs = [pay(admin, f"B-{n}", clock) for n in range(5)]
    items = bulk(approver, [r.public_id for r in reqs], clock)
    assert [(i.ok, i.status, i.executed) for i in items] == [(True, "approved", True)] * 5
    for r in reqs:
        r.refresh_from_db()
        assert r.status == "approved" and r.decided_at == clock.now()
        assert r.result == {"paid": r.payload["reference"], "bulk": True}
        assert approvals_of(r) == 1 and executed(r) == 1
        actions = list(
            AuditEntry.objects.filter(approval_request_id=str(r.public_id))
            .order_by("seq")
            .values_list("action", flat=True)
        )
        assert actions == [
            "approval.submit",
            "approval.approve",
            "testing.payment.execute",
            "approval.execute",
        ]
    assert list(verify_chain()) == []


def test_every_refusal_is_answered_as_a_single_approval_answers_it(
    admin, approver, make_user, clock
):
    configure_flow(
        actor=admin,
        action_type=PAYMENT,
        levels=[LevelInput(role_codes=["admin"], required_approvals=2)],
        now=clock.now(),
    )
    mine = pay(approver, "OWN", clock)  # the approver's own: initiator cannot approve
    done = pay(admin, "DONE", clock)
    bulk(approver, [done.public_id], clock)
    half = pay(admin, "HALF", clock, action=PAYMENT)
    services.approve(actor=approver, request_id=half.public_id, now=clock.now())
    late = pay(admin, "LATE", clock)
    ApprovalRequest.objects.filter(pk=late.pk).update(expires_at=clock.now())
    outsider = make_user("plain")  # not an approver, sees nothing of others' requests
    ok = pay(admin, "OK", clock)
    ids = [
        mine.public_id,
        done.public_id,
        half.public_id,
        late.public_id,
        uuid.uuid4(),
        "not-a-uuid",
        ok.public_id,
        ok.public_id,
    ]
    items = bulk(approver, ids, clock)
    assert [(i.ok, i.code) for i in items] == [
        (False, "initiator_cannot_approve"),
        (False, "request_not_pending"),
        (False, "already_decided_by_you"),
        (False, "request_expired"),
        (False, "not_found"),
        (False, "not_found"),
        (True, None),
        (False, "already_decided_by_you"),  # the same id twice: decided once
    ]
    assert [i.request_id for i in items] == [str(i) for i in ids]
    assert executed(ok) == 1 and approvals_of(ok) == 1
    assert approvals_of(half) == 1 and approvals_of(late) == 0
    other = pay(admin, "X", clock)
    by_outsider = bulk(outsider, [ok.public_id, other.public_id], clock)
    assert [(i.ok, i.code) for i in by_outsider] == [(False, "not_found")] * 2
    # handed on to another: the approver still sees it (its history), may not decide it
    services.transfer(
        actor=approver,
        request_id=other.public_id,
        to_user_id=make_user("deputy", roles=["admin"]).public_id,
        now=clock.now(),
    )
    by_approver = bulk(approver, [ok.public_id, other.public_id], clock)
    assert [(i.ok, i.code) for i in by_approver] == [
        (False, "request_not_pending"),
        (False, "not_an_approver"),
    ]


def test_a_refused_execution_leaves_nothing_and_the_others_go_on(admin, approver, clock):
    first, refused, last = (pay(admin, ref, clock) for ref in ("A", "refuse-me", "C"))
    seq_before = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first()
    items = bulk(approver, [first.public_id, refused.public_id, last.public_id], clock)
    assert [(i.ok, i.code) for i in items] == [
        (True, None),
        (False, "precondition_failed"),
        (True, None),
    ]
    refused.refresh_from_db()
    assert refused.status == "pending" and approvals_of(refused) == 0
    assert not AuditEntry.objects.filter(
        approval_request_id=str(refused.public_id), seq__gt=seq_before
    ).exists()
    assert executed(first) == 1 and executed(last) == 1
    # still pending: decided later once the cause is gone is possible; here it stays refused
    again = bulk(approver, [refused.public_id], clock)
    assert again[0].code == "precondition_failed"
    assert list(verify_chain()) == []


def test_levels_and_required_approvals_advance_in_bulk(admin, approver, make_user, clock):
    third = make_user("third", roles=["admin"])
    head = make_user("head", roles=["admin"])
    configure_flow(
        actor=admin,
        action_type=BULK_PAYMENT,
        levels=[
            LevelInput(name="desk", role_codes=["admin"], required_approvals=2),
            LevelInput(name="head", role_codes=["admin"]),
        ],
        now=clock.now(),
    )
    reqs = [pay(admin, f"L-{n}", clock) for n in range(3)]
    ids = [r.public_id for r in reqs]
    first = bulk(approver, ids, clock)
    assert [(i.ok, i.status, i.executed) for i in first] == [(True, "pending", False)] * 3
    assert all(ApprovalRequest.objects.get(pk=r.pk).current_level == 1 for r in reqs)
    second = bulk(third, ids, clock)
    assert [(i.ok, i.executed) for i in second] == [(True, False)] * 3
    assert all(ApprovalRequest.objects.get(pk=r.pk).current_level == 2 for r in reqs)
    # one approval per person per request, whatever the level (as one by one)
    assert {i.code for i in bulk(approver, ids, clock)} == {"already_decided_by_you"}
    last = bulk(head, ids, clock)
    assert [(i.ok, i.status, i.executed) for i in last] == [(True, "approved", True)] * 3
    assert [executed(r) for r in reqs] == [1, 1, 1]
    audit = AuditEntry.objects.filter(
        approval_request_id=str(reqs[0].public_id), action="approval.approve"
    ).order_by("seq")
    assert [a.after for a in audit] == [
        {"status": "pending", "level": 1, "of": 2, "approvals": 1},
        {"status": "pending", "level": 2, "of": 2},
        {"status": "approved", "level": 2, "of": 2},
    ]


def test_actions_without_a_bulk_executor_are_executed_one_by_one(admin, approver, clock):
    plain = [pay(admin, f"P-{n}", clock, action=PAYMENT) for n in range(2)]
    bulked = pay(admin, "BULK", clock)
    items = bulk(approver, [plain[0].public_id, bulked.public_id, plain[1].public_id], clock)
    assert [(i.ok, i.executed) for i in items] == [(True, True)] * 3
    assert [ApprovalRequest.objects.get(pk=r.pk).result for r in plain] == [
        {"paid": "P-0"},
        {"paid": "P-1"},
    ]
    assert ApprovalRequest.objects.get(pk=bulked.pk).result == {"paid": "BULK", "bulk": True}
    assert list(verify_chain()) == []


def test_a_chunk_is_one_transaction_with_a_fixed_number_of_statements(
    admin, approver, clock, monkeypatch
):
    def statements(n):
        reqs = [pay(admin, f"S{n}-{i}", clock) for i in range(n)]
        with CaptureQueriesContext(connection) as q:
            bulk(approver, [r.public_id for r in reqs], clock)
        return len(q.captured_queries)

    statements(1)  # the approver's roles and permissions read once
    assert statements(12) == statements(40)
    monkeypatch.setattr(batch, "CHUNK", 4)
    reqs = [pay(admin, f"C-{i}", clock) for i in range(10)]
    items = bulk(approver, [r.public_id for r in reqs], clock)
    assert all(i.ok and i.executed for i in items) and len(items) == 10
