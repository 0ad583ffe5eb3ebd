"""The dual-control bypasses again, through the console (Django's test client).

In dual-admin mode one administrator alone cannot make a flow automatic or
self-approved, reset another administrator's password, unlock a user or hand a
decision to someone who cannot make it; what can wait for the second administrator
waits, and changes nothing until then.
"""

from __future__ import annotations

import pytest

from custodesk.approvals.models import ApprovalFlow, ApprovalRequest, RequestAction
from custodesk.identity.models import RoleGrant, User
from custodesk.testing.fixtures import PASSWORD
from custodesk.testing.governance import delivered_password, set_dual_admin

pytestmark = pytest.mark.django_db


@pytest.fixture
def dual(admin, make_user, clock):
    make_user("admin2", roles=["admin"])
    make_user("bob")
    set_dual_admin(
        actor=admin, organisation_id=admin.organisation.public_id, enabled=True, now=clock.now()
    )
    return admin.organisation


def sign_in(client, username):
    client.post("/console/sign-out/")
    response = client.post("/console/sign-in/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302


def flow_post(mode, forbid_initiator=True):
    data = {
        "mode": mode,
        "expiry_hours": "72",
        "levels-TOTAL_FORMS": "1",
        "levels-INITIAL_FORMS": "0",
        "levels-MIN_NUM_FORMS": "0",
        "levels-MAX_NUM_FORMS": "6",
        "levels-0-name": "checker",
        "levels-0-role_codes": ["admin"],
        "levels-0-required_approvals": "1",
    }
    if forbid_initiator:
        data["levels-0-forbid_initiator"] = "on"
    return data


@pytest.mark.parametrize(
    "data,field_text",
    [
        (flow_post("auto"), "cannot be automatic"),
        (flow_post("review", forbid_initiator=False), "may not approve it"),
    ],
    ids=["auto", "initiator approves"],
)
def test_a_governance_flow_cannot_lose_its_second_pair_of_eyes(client, dual, data, field_text):
    sign_in(client, "admin")
    page = client.post("/console/approvals/flows/identity.role_grant/", data)
    assert page.status_code == 200 and field_text in page.content.decode()
    assert not ApprovalFlow.objects.exists()
    assert not ApprovalRequest.objects.filter(action_type="approvals.flow_configure").exists()


def test_a_flow_change_waits_for_the_second_administrator(client, dual):
    sign_in(client, "admin")
    page = client.post("/console/approvals/flows/identity.role_grant/", flow_post("review"))
    assert page.status_code == 302
    assert not ApprovalFlow.objects.exists()
    request = ApprovalRequest.objects.get(action_type="approvals.flow_configure")
    sign_in(client, "admin2")
    client.post(f"/console/approvals/{request.public_id}/approve/", {"comment": "ok"})
    assert ApprovalFlow.objects.filter(action_type="identity.role_grant").exists()


def test_resetting_the_other_administrators_password_waits_and_reaches_only_them(
    client, dual, clock
):
    admin2 = User.objects.get(username="admin2")
    sign_in(client, "admin")
    page = client.post(f"/console/users/{admin2.public_id}/reset-password/", follow=True)
    assert "Submitted for review" in page.content.decode()
    assert User.objects.get(pk=admin2.pk).check_password(PASSWORD)
    request = ApprovalRequest.objects.get(action_type="identity.user_reset_password")

    # the initiator cannot approve it either
    client.post(f"/console/approvals/{request.public_id}/approve/", {"comment": ""})
    assert ApprovalRequest.objects.get(pk=request.pk).status == "pending"

    bob = User.objects.get(username="bob")
    client.post(f"/console/users/{bob.public_id}/reset-password/")
    bob_request = ApprovalRequest.objects.get(
        action_type="identity.user_reset_password", object_id=str(bob.public_id)
    )
    sign_in(client, "admin2")
    done = client.post(
        f"/console/approvals/{bob_request.public_id}/approve/", {"comment": "ok"}, follow=True
    )
    assert "Approved and executed" in done.content.decode()
    temp = delivered_password(bob.email, clock=clock)
    assert temp not in done.content.decode()
    assert User.objects.get(pk=bob.pk).check_password(temp)


def test_unlocking_waits_for_the_second_administrator(client, dual, clock):
    bob = User.objects.get(username="bob")
    sign_in(client, "admin")
    client.post(f"/console/users/{bob.public_id}/lock/", {"reason": "investigation"})
    assert User.objects.get(pk=bob.pk).status == "locked"
    client.post(f"/console/users/{bob.public_id}/unlock/", {"reason": "cleared"})
    assert User.objects.get(pk=bob.pk).status == "locked"
    request = ApprovalRequest.objects.get(action_type="identity.user_unlock")
    sign_in(client, "admin2")
    client.post(f"/console/approvals/{request.public_id}/approve/", {"comment": "ok"})
    assert User.objects.get(pk=bob.pk).status == "active"


def test_a_decision_is_handed_only_to_someone_who_could_make_it(client, dual, admin, clock):
    bob = User.objects.get(username="bob")
    sign_in(client, "admin")
    client.post(f"/console/users/{bob.public_id}/grant/", {"role": _role_id("auditor")})
    request = ApprovalRequest.objects.get(action_type="identity.role_grant", status="pending")
    sign_in(client, "admin2")
    detail = client.get(f"/console/approvals/{request.public_id}/").content.decode()
    assert f'value="{bob.public_id}"' not in detail  # not offered as a transfer target
    page = client.post(
        f"/console/approvals/{request.public_id}/transfer/",
        {"to_user": str(bob.public_id)},
        follow=True,
    )
    assert "cannot be transferred" in page.content.decode()
    assert not RequestAction.objects.filter(request=request, kind="transfer").exists()
    assert not RoleGrant.objects.filter(user=bob, revoked_at__isnull=True).exists()


def _role_id(code: str) -> str:
    from custodesk.identity.models import Role

    return str(Role.objects.get(code=code).public_id)
