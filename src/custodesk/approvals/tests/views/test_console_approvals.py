import pytest

from custodesk.approvals import services
from custodesk.approvals.models import ApprovalFlow, ApprovalRequest
from custodesk.identity.models import Role, RoleGrant
from custodesk.testing.fixtures import PASSWORD
from custodesk.testing.governance import set_dual_admin

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending(admin, make_user, clock):
    make_user("admin2", roles=["admin"])
    users = [make_user(n) for n in ("bob", "carol", "dave")]
    set_dual_admin(
        actor=admin, organisation_id=admin.organisation.public_id, enabled=True, now=clock.now()
    )
    role = Role.objects.get(code="auditor")
    return [
        services.submit(
            actor=admin,
            action_type="identity.role_grant",
            payload={"user_id": str(u.public_id), "role_id": str(role.public_id)},
            now=clock.now(),
        ).request
        for u in users
    ]


def sign_in(client, username):
    client.post("/console/sign-out/")
    client.post("/console/sign-in/", {"username": username, "password": PASSWORD})


def test_inbox_tabs_badge_and_detail(client, pending):
    sign_in(client, "admin2")
    page = client.get("/console/approvals/").content.decode()
    assert 'data-testid="badge-approvals"' in page
    assert page.count('name="ids"') == 3
    assert "Grant role auditor to bob" in page
    detail = client.get(f"/console/approvals/{pending[0].public_id}/").content.decode()
    assert 'data-testid="approve"' in detail and "&quot;auditor&quot;" in detail
    drawer = client.get(f"/console/approvals/{pending[0].public_id}/", HTTP_HX_REQUEST="true")
    assert "<html" not in drawer.content.decode()
    sign_in(client, "admin")
    initiated = client.get("/console/approvals/", {"box": "initiated", "status": "pending"})
    assert initiated.content.decode().count("Grant role auditor to") == 3
    mine = client.get(f"/console/approvals/{pending[0].public_id}/").content.decode()
    assert 'data-testid="approve"' not in mine and 'data-testid="withdraw"' in mine


def test_approve_and_reject_from_the_page(client, pending):
    sign_in(client, "admin2")
    client.post(f"/console/approvals/{pending[0].public_id}/approve/", {"comment": "fine"})
    assert ApprovalRequest.objects.get(pk=pending[0].pk).status == "approved"
    assert RoleGrant.objects.filter(user__username="bob", revoked_at__isnull=True).exists()
    no_reason = client.post(f"/console/approvals/{pending[1].public_id}/reject/", {"reason": ""})
    assert no_reason.status_code == 302
    assert ApprovalRequest.objects.get(pk=pending[1].pk).status == "pending"
    client.post(f"/console/approvals/{pending[1].public_id}/reject/", {"reason": "not needed"})
    assert ApprovalRequest.objects.get(pk=pending[1].pk).status == "rejected"


def test_batch_reject_shows_a_result_per_row(client, pending):
    sign_in(client, "admin2")
    ids = [str(r.public_id) for r in pending[1:]]
    missing = client.post("/console/approvals/batch/", {"ids": ids, "decision": "reject"})
    assert 'data-testid="batch-error"' in missing.content.decode()
    response = client.post(
        "/console/approvals/batch/", {"ids": ids, "decision": "reject", "reason": "duplicate"}
    )
    page = response.content.decode()
    assert "2 of 2 done." in page
    assert {
        r.status for r in ApprovalRequest.objects.filter(pk__in=[p.pk for p in pending[1:]])
    } == {"rejected"}


def test_flow_configuration_page(client, admin):
    sign_in(client, "admin")
    listing = client.get("/console/approvals/flows/").content.decode()
    assert "identity.role_grant" in listing
    form = {
        "mode": "review",
        "expiry_hours": "48",
        "levels-TOTAL_FORMS": "2",
        "levels-INITIAL_FORMS": "0",
        "levels-MIN_NUM_FORMS": "0",
        "levels-MAX_NUM_FORMS": "6",
        "levels-0-name": "checker",
        "levels-0-role_codes": ["admin"],
        "levels-0-required_approvals": "1",
        "levels-0-forbid_initiator": "on",
        "levels-1-name": "",
        "levels-1-required_approvals": "1",
    }
    response = client.post("/console/approvals/flows/identity.role_grant/", form)
    assert response.status_code == 302
    flow = ApprovalFlow.objects.get(action_type="identity.role_grant")
    assert flow.expiry_hours == 48
    assert [lv.approver_role_codes for lv in flow.levels.all()] == [["admin"]]
