"""Races between approvers, with real threads and row locks (PostgreSQL)."""

import threading

import pytest
from django.db import connection

from custodesk.approvals import services
from custodesk.approvals.models import ApprovalRequest
from custodesk.audit.models import AuditEntry
from custodesk.core.errors import DomainError
from custodesk.identity.models import Role, RoleGrant
from custodesk.testing.governance import set_dual_admin

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres_only]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row-lock races run on PostgreSQL (SQLite serialises writers)")


def _race(*calls):
    """Start every call at the same moment; return (results, errors) in call order."""
    barrier = threading.Barrier(len(calls))
    out: list = [None] * len(calls)

    def run(i, fn):
        try:
            barrier.wait(timeout=10)
            out[i] = ("ok", fn())
        except DomainError as exc:
            out[i] = ("error", exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return out


@pytest.fixture
def setup(admin, make_user, clock):
    admin2 = make_user("admin2", roles=["admin"])
    admin3 = make_user("admin3", roles=["admin"])
    set_dual_admin(
        actor=admin, organisation_id=admin.organisation.public_id, enabled=True, now=clock.now()
    )
    return admin2, admin3


def _submit(admin, user, clock, role="auditor"):
    role_obj = Role.objects.get(organisation_id=user.organisation_id, code=role)
    return services.submit(
        actor=admin,
        action_type="identity.role_grant",
        payload={"user_id": str(user.public_id), "role_id": str(role_obj.public_id)},
        now=clock.now(),
    ).request


def test_two_approvers_on_the_last_level_execute_once(admin, make_user, setup, clock):
    admin2, admin3 = setup
    for i in range(5):
        user = make_user(f"target{i}")
        req = _submit(admin, user, clock)
        out = _race(
            lambda r=req: services.approve(actor=admin2, request_id=r.public_id, now=clock.now()),
            lambda r=req: services.approve(actor=admin3, request_id=r.public_id, now=clock.now()),
        )
        kinds = sorted(o[0] for o in out)
        assert kinds == ["error", "ok"], out
        assert [o[1] for o in out if o[0] == "error"] == ["request_not_pending"]
        assert RoleGrant.objects.filter(user=user).count() == 1
        assert (
            AuditEntry.objects.filter(
                action="role.grant", approval_request_id=str(req.public_id)
            ).count()
            == 1
        )


def test_approve_and_reject_racing_have_one_winner(admin, make_user, setup, clock):
    admin2, admin3 = setup
    for i in range(5):
        user = make_user(f"racer{i}")
        req = _submit(admin, user, clock)
        out = _race(
            lambda r=req: services.approve(actor=admin2, request_id=r.public_id, now=clock.now()),
            lambda r=req: services.reject(
                actor=admin3, request_id=r.public_id, reason="no", now=clock.now()
            ),
        )
        assert sorted(o[0] for o in out) == ["error", "ok"], out
        final = ApprovalRequest.objects.get(pk=req.pk)
        granted = RoleGrant.objects.filter(user=user).exists()
        if out[0][0] == "ok":
            assert final.status == "approved" and granted
        else:
            assert final.status == "rejected" and not granted


def test_concurrent_identical_submissions_make_one_request(admin, make_user, setup, clock):
    user = make_user("dup")
    out = _race(*[lambda: _submit(admin, user, clock) for _ in range(4)])
    assert sorted(o[0] for o in out) == ["error", "error", "error", "ok"], out
    assert {o[1] for o in out if o[0] == "error"} == {"duplicate_pending_request"}
    assert (
        ApprovalRequest.objects.filter(status="pending", object_id=str(user.public_id)).count() == 1
    )
