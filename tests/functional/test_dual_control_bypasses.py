"""Four eyes on the four-eyes (X-MAKERCHECKER, MENU-ACL): the ways one administrator
alone once granted any power in dual-admin mode, replayed over real HTTP.

Each row is an attempt by ``admin`` alone.  Each is refused (and changes nothing) or
left pending (and changes nothing until ``admin2`` approves it).  Single-admin mode
still applies the same changes at once, recorded as auto-approved requests and audited.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from custodesk.approvals.models import ApprovalFlow, ApprovalRequest
from custodesk.audit.models import AuditEntry
from custodesk.core import access
from custodesk.identity.models import Role, RoleGrant, User
from custodesk.testing.fixtures import PASSWORD
from custodesk.testing.governance import delivered_password, set_dual_admin

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def staff(admin, make_user, clock):
    """admin and admin2 (administrators), an operator, bob without a role."""
    make_user("admin2", roles=["admin"])
    make_user("olive", roles=["operator"])
    make_user("bob")
    return admin.organisation


@pytest.fixture
def dual(staff, admin, clock):
    set_dual_admin(actor=admin, organisation_id=staff.public_id, enabled=True, now=clock.now())
    staff.refresh_from_db()
    assert staff.dual_admin
    return staff


def ids(api: Any) -> dict[str, str]:
    users = api.get("/users", params={"page_size": 100}).json()["items"]
    roles = api.get("/roles").json()
    return {
        **{u["username"]: u["id"] for u in users},
        **{"role:" + r["code"]: r["id"] for r in roles},
    }


def holds(username: str, role_code: str) -> bool:
    return RoleGrant.objects.filter(
        user__username=username, role__code=role_code, revoked_at__isnull=True
    ).exists()


def everything() -> list[str]:
    return sorted(p.code for p in access.all_permissions())


@dataclass
class Bypass:
    name: str
    # the attempt by admin alone: (admin's API, ids) -> the last response
    attempt: Callable[[Any, dict[str, str]], Any]
    # refused: (status, code, field or None); pending: 202
    status: int
    code: str | None
    # the change the bypass was after has not happened
    unchanged: Callable[[], bool]
    # and happens once admin2 approves (pending rows only)
    applied: Callable[[], bool] | None = None


def _auto_flow_then_grant(api: Any, ids: dict[str, str]) -> Any:
    refused = api.put("/approvals/flows/identity.role_grant", json={"mode": "auto"})
    assert refused.status_code == 422
    error = refused.json()["errors"][0]
    assert (error["field"], error["rule"]) == ("mode", "dual_control_required")
    assert not ApprovalFlow.objects.filter(action_type="identity.role_grant").exists()
    return api.post(f"/users/{ids['bob']}/roles", json={"role_id": ids["role:approver"]})


def _global_auto_flow(api: Any, ids: dict[str, str]) -> Any:
    return api.put(
        "/approvals/flows/identity.role_grant", json={"mode": "auto", "global_flow": True}
    )


def _self_approval_flow(api: Any, ids: dict[str, str]) -> Any:
    flow = {"mode": "review", "levels": [{"role_codes": ["admin"], "forbid_initiator": False}]}
    refused = api.put("/approvals/flows/identity.role_grant", json=flow)
    assert refused.json()["errors"][0]["field"] == "levels.0.forbid_initiator"
    grant = api.post(f"/users/{ids['bob']}/roles", json={"role_id": ids["role:auditor"]})
    assert grant.status_code == 202
    return api.post(f"/approvals/requests/{grant.json()['request']['id']}/approve", json={})


def _role_permissions(api: Any, ids: dict[str, str]) -> Any:
    return api.put(f"/roles/{ids['role:operator']}/permissions", json={"permissions": everything()})


def _operator_unchanged() -> bool:
    return Role.objects.get(code="operator").permissions == [
        "identity.role.view",
        "identity.user.view",
    ]


def _reset_second_admin(api: Any, ids: dict[str, str]) -> Any:
    answer = api.post(f"/users/{ids['admin2']}/reset-password")
    assert "password" not in str(answer.json()["result"])
    return answer


def _admin2_password_unchanged() -> bool:
    return User.objects.get(username="admin2").check_password(PASSWORD)


def _transfer_to_non_approver(api: Any, ids: dict[str, str]) -> Any:
    grant = api.post(f"/users/{ids['olive']}/roles", json={"role_id": ids["role:compliance"]})
    assert grant.status_code == 202
    # admin2 is the only eligible approver; handing the level to bob (no permission)
    # would have let bob's approval execute the grant
    return ("admin2", f"/approvals/requests/{grant.json()['request']['id']}/transfer", "bob")


BYPASSES = [
    Bypass(
        "flow switched to auto, then grant",
        _auto_flow_then_grant,
        202,
        None,
        unchanged=lambda: not holds("bob", "approver"),
        applied=lambda: holds("bob", "approver"),
    ),
    Bypass(
        "a global flow switched to auto",
        _global_auto_flow,
        422,
        "validation_failed",
        unchanged=lambda: not ApprovalFlow.objects.exists(),
    ),
    Bypass(
        "a level that lets the initiator approve",
        _self_approval_flow,
        403,
        "initiator_cannot_approve",
        unchanged=lambda: not holds("bob", "auditor") and not ApprovalFlow.objects.exists(),
    ),
    Bypass(
        "a role's permissions edited directly",
        _role_permissions,
        202,
        None,
        unchanged=_operator_unchanged,
        applied=lambda: not _operator_unchanged(),
    ),
    Bypass(
        "the second administrator's password reset",
        _reset_second_admin,
        202,
        None,
        unchanged=_admin2_password_unchanged,
        applied=lambda: not _admin2_password_unchanged(),
    ),
    Bypass(
        "a level transferred to a user without the permission",
        _transfer_to_non_approver,
        409,
        "cannot_transfer",
        unchanged=lambda: not holds("olive", "compliance"),
    ),
]


@pytest.mark.parametrize("bypass", BYPASSES, ids=[b.name for b in BYPASSES])
def test_one_administrator_alone_cannot_get_round_the_second(api_client, dual, bypass):
    admin = api_client()
    admin.sign_in("admin")
    known = ids(admin)
    answer = bypass.attempt(admin, known)
    if isinstance(answer, tuple):  # an attempt finished by another user (transfer)
        username, path, target = answer
        other = api_client()
        other.sign_in(username)
        answer = other.post(path, json={"to_user_id": known[target]})
    assert answer.status_code == bypass.status, answer.text
    if bypass.code:
        assert answer.json()["code"] == bypass.code
    assert bypass.unchanged()
    if bypass.applied is None:
        return
    # pending: nothing changes until the second administrator approves
    request_id = answer.json()["request"]["id"]
    assert answer.json()["executed"] is False
    second = api_client()
    second.sign_in("admin2")
    approved = second.post(f"/approvals/requests/{request_id}/approve", json={})
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert bypass.applied()
    entries = AuditEntry.objects.filter(approval_request_id=request_id)
    executed = entries.get(action="approval.execute")
    assert executed.actor_username == "admin2"


def test_a_reset_password_reaches_the_user_and_no_administrator(api_client, dual, clock):
    admin = api_client()
    admin.sign_in("admin")
    known = ids(admin)
    pending = admin.post(f"/users/{known['olive']}/reset-password").json()
    second = api_client()
    second.sign_in("admin2")
    approved = second.post(f"/approvals/requests/{pending['request']['id']}/approve", json={})
    assert approved.json()["result"]["delivered_by"] == "email"
    temp = delivered_password("olive@example.com", clock=clock)
    # neither administrator's answers carry it; not stored with the request nor audited
    assert temp not in approved.text and temp not in str(pending)
    detail = admin.get(f"/approvals/requests/{pending['request']['id']}")
    assert temp not in detail.text
    request = ApprovalRequest.objects.get(public_id=pending["request"]["id"])
    assert temp not in str(request.result) and temp not in str(request.payload)
    assert not any(temp in str(e.after) + str(e.before) for e in AuditEntry.objects.all())
    signed_in = api_client().sign_in("olive", temp)
    assert signed_in.status_code == 200


def test_a_reset_needs_somewhere_to_send_the_password(api_client, admin, staff, clock):
    User.objects.filter(username="bob").update(email="", phone="")
    api = api_client()
    api.sign_in("admin")
    refused = api.post(f"/users/{ids(api)['bob']}/reset-password")
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["rule"] == "no_contact"
    assert User.objects.get(username="bob").check_password(PASSWORD)


def test_an_approver_must_hold_the_permission_when_deciding(api_client, admin, dual, clock):
    """A flow naming a user who cannot make the change does not make them an approver
    of a governance action."""
    admin_api = api_client()
    admin_api.sign_in("admin")
    known = ids(admin_api)
    flow = {"mode": "review", "levels": [{"user_ids": [known["olive"]]}]}
    pending = admin_api.put("/approvals/flows/identity.role_grant", json=flow)
    assert pending.status_code == 202
    admin2 = api_client()
    admin2.sign_in("admin2")
    admin2.post(f"/approvals/requests/{pending.json()['request']['id']}/approve", json={})
    grant = admin_api.post(f"/users/{known['bob']}/roles", json={"role_id": known["role:auditor"]})
    olive = api_client()
    olive.sign_in("olive")
    refused = olive.post(f"/approvals/requests/{grant.json()['request']['id']}/approve", json={})
    assert refused.status_code in (403, 404)
    assert not holds("bob", "auditor")


def test_an_auto_flow_from_single_admin_days_does_not_apply_in_dual_admin_mode(api_client, staff):
    admin = api_client()
    admin.sign_in("admin")
    known = ids(admin)
    assert admin.put("/approvals/flows/identity.role_grant", json={"mode": "auto"}).json()[
        "executed"
    ]
    switched = admin.put(f"/organisations/{staff.public_id}/dual-admin", json={"enabled": True})
    assert switched.status_code == 200  # switching it on applies at once
    grant = admin.post(f"/users/{known['bob']}/roles", json={"role_id": known["role:auditor"]})
    assert grant.status_code == 202 and not holds("bob", "auditor")
    # and switching it off again needs the second administrator
    off = admin.put(f"/organisations/{staff.public_id}/dual-admin", json={"enabled": False})
    assert off.status_code == 202
    staff.refresh_from_db()
    assert staff.dual_admin


GOVERNANCE_CALLS = [
    ("put", "/approvals/flows/identity.role_grant", {"mode": "auto"}, "approvals.flow_configure"),
    (
        "put",
        "/roles/{role:operator}/permissions",
        {"permissions": []},
        "identity.role_set_permissions",
    ),
    ("post", "/roles", {"code": "desk", "name": "Desk", "permissions": []}, "identity.role_create"),
    ("post", "/users/{admin2}/reset-password", None, "identity.user_reset_password"),
    ("post", "/users/{bob}/roles", {"role_id": "{role:auditor}"}, "identity.role_grant"),
]


@pytest.mark.parametrize("method,path,body,action", GOVERNANCE_CALLS)
def test_single_admin_mode_applies_at_once_and_is_audited(
    api_client, staff, method, path, body, action
):
    api = api_client()
    api.sign_in("admin")
    known = ids(api)
    for name, public_id in known.items():
        path = path.replace("{" + name + "}", public_id)
    if body and "role_id" in body:
        body = {"role_id": known["role:auditor"]}
    answer = getattr(api, method)(path, **({"json": body} if body is not None else {}))
    assert answer.status_code in (200, 201), answer.text
    submitted = answer.json()
    assert submitted["executed"] is True and submitted["request"]["action_type"] == action
    request = ApprovalRequest.objects.get(public_id=submitted["request"]["id"])
    assert request.auto_approved and request.status == "approved"
    actions = set(
        AuditEntry.objects.filter(approval_request_id=request.public_id).values_list(
            "action", flat=True
        )
    )
    assert {"approval.submit", "approval.execute"} <= actions and len(actions) == 3


def test_a_member_organisations_administrators_follow_the_same_rules(
    admin, make_user, member_org, clock
):
    """Inside a member organisation in dual-admin mode, its administrator alone cannot
    reset another's password; the staff administrators cannot approve it either."""
    from custodesk.approvals import services as approvals
    from custodesk.approvals.errors import NotAnApprover
    from custodesk.core.errors import NotFound
    from custodesk.identity.governance import USER_RESET_PASSWORD
    from custodesk.testing.governance import create_role, submit

    create_role(
        actor=admin,
        code="admin",
        name="Member administrator",
        permissions=[
            "identity.user.view",
            "identity.user.manage",
            "identity.role.view",
            "identity.role.grant",
            "identity.organisation.manage",
        ],
        organisation_id=member_org.public_id,
        now=clock.now(),
    )
    first, second, third = (
        make_user(name, organisation=member_org, roles=["admin"])
        for name in ("member1", "member2", "member3")
    )
    set_dual_admin(actor=first, organisation_id=member_org.public_id, enabled=True, now=clock.now())
    member_org.refresh_from_db()
    assert member_org.dual_admin

    sub = submit(first, USER_RESET_PASSWORD, {"user_id": str(second.public_id)}, now=clock.now())
    assert not sub.executed
    assert User.objects.get(pk=second.pk).check_password(PASSWORD)
    with pytest.raises((NotAnApprover, NotFound)):
        approvals.approve(actor=admin, request_id=sub.request.public_id, now=clock.now())
    decision = approvals.approve(actor=third, request_id=sub.request.public_id, now=clock.now())
    assert decision.executed
    temp = delivered_password(second.email, clock=clock)
    assert User.objects.get(pk=second.pk).check_password(temp)
