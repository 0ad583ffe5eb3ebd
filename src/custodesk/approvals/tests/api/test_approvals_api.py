"""The approval acceptance story over real HTTP."""

import csv
import io

import pytest

from custodesk.testing.governance import set_dual_admin

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def dual_staff(admin, make_user, clock):
    make_user("admin2", roles=["admin"])
    make_user("bob")
    make_user("carol", roles=["admin"])
    set_dual_admin(
        actor=admin, organisation_id=admin.organisation.public_id, enabled=True, now=clock.now()
    )


def _ids(api):
    users = {
        u["username"]: u["id"] for u in api.get("/users", params={"page_size": 100}).json()["items"]
    }
    roles = {r["code"]: r["id"] for r in api.get("/roles").json()}
    return users, roles


def test_role_grant_needs_a_second_admin_over_http(api_client, dual_staff):
    a = api_client()
    a.sign_in("admin")
    users, roles = _ids(a)
    submitted = a.post(f"/users/{users['bob']}/roles", json={"role_id": roles["approver"]})
    assert submitted.status_code == 202
    req = submitted.json()["request"]
    assert req["status"] == "pending" and req["summary"] == "Grant role approver to bob"

    own = a.post(f"/approvals/requests/{req['id']}/approve", json={})
    assert own.status_code == 403
    assert own.json()["code"] == "initiator_cannot_approve"

    b = api_client()
    b.sign_in("admin2")
    no_reason = b.post(f"/approvals/requests/{req['id']}/reject", json={})
    assert no_reason.status_code == 422
    assert no_reason.json()["errors"][0]["field"] == "reason"
    blank = b.post(f"/approvals/requests/{req['id']}/reject", json={"reason": "  "})
    assert blank.status_code == 422 and blank.json()["errors"][0]["field"] == "reason"

    inbox = b.get("/approvals/requests", params={"box": "pending"}).json()
    assert [r["id"] for r in inbox["items"]] == [req["id"]]
    approved = b.post(f"/approvals/requests/{req['id']}/approve", json={"comment": "ok"})
    assert approved.status_code == 200
    detail = approved.json()
    assert detail["status"] == "approved"
    assert detail["preview"]["after"]["roles"] == ["approver"]
    assert [h["kind"] for h in detail["history"]] == ["submit", "approve", "execute"]
    assert detail["levels"][0]["approved_by"] == ["admin2"]

    bob_roles = a.get(f"/users/{users['bob']}/roles").json()
    assert [g["role"]["code"] for g in bob_roles] == ["approver"]
    audit = a.get("/audit", params={"approval_request_id": req["id"]}).json()
    assert {e["action"] for e in audit["items"]} == {
        "approval.submit",
        "approval.approve",
        "role.grant",
        "approval.execute",
    }


def test_duplicate_transfer_cc_withdraw_and_batch(api_client, dual_staff):
    a = api_client()
    a.sign_in("admin")
    users, roles = _ids(a)
    first = a.post(f"/users/{users['bob']}/roles", json={"role_id": roles["auditor"]}).json()
    dup = a.post(f"/users/{users['bob']}/roles", json={"role_id": roles["auditor"]})
    assert dup.status_code == 409
    assert dup.json()["code"] == "duplicate_pending_request"
    assert dup.json()["existing_request_id"] == first["request"]["id"]

    b = api_client()
    b.sign_in("admin2")
    rid = first["request"]["id"]
    refused = b.post(f"/approvals/requests/{rid}/transfer", json={"to_user_id": users["bob"]})
    assert refused.status_code == 409
    assert (refused.json()["code"], refused.json()["reason"]) == (
        "cannot_transfer",
        "not_an_approver",
    )
    moved = b.post(f"/approvals/requests/{rid}/transfer", json={"to_user_id": users["carol"]})
    assert moved.status_code == 200
    assert b.post(f"/approvals/requests/{rid}/approve", json={}).json()["code"] == "not_an_approver"
    c = api_client()
    c.sign_in("carol")
    assert [r["id"] for r in c.get("/approvals/requests").json()["items"]] == [rid]

    second = a.post(f"/users/{users['bob']}/roles", json={"role_id": roles["approver"]}).json()
    not_cc = a.post(
        f"/approvals/requests/{second['request']['id']}/cc", json={"user_ids": [users["bob"]]}
    )
    assert not_cc.status_code == 409 and not_cc.json()["code"] == "cannot_cc"
    cc = a.post(
        f"/approvals/requests/{second['request']['id']}/cc", json={"user_ids": [users["carol"]]}
    )
    assert cc.status_code == 200
    cc_box = c.get("/approvals/requests", params={"box": "cc"}).json()["items"]
    assert [r["id"] for r in cc_box] == [second["request"]["id"]]

    third = a.post(f"/users/{users['carol']}/roles", json={"role_id": roles["approver"]}).json()
    withdrawn = a.post(f"/approvals/requests/{third['request']['id']}/withdraw", json={})
    assert withdrawn.json()["status"] == "withdrawn"

    own = b.post(f"/users/{users['bob']}/roles", json={"role_id": roles["compliance"]}).json()
    batch = b.post(
        "/approvals/requests/batch",
        json={
            "request_ids": [second["request"]["id"], own["request"]["id"], third["request"]["id"]],
            "decision": "approve",
        },
    ).json()
    assert [(r["ok"], r["code"]) for r in batch] == [
        (True, None),
        (False, "initiator_cannot_approve"),
        (False, "request_not_pending"),
    ]

    export = b.get("/approvals/requests/export", params={"box": "done", "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert {r["id"] for r in rows} == {second["request"]["id"], rid}


def test_flow_configuration_over_http(api_client, admin):
    a = api_client()
    a.sign_in("admin")
    flows = {f["action_type"]: f for f in a.get("/approvals/flows").json()}
    assert flows["identity.role_grant"]["auto"] is True  # single-admin mode
    assert flows["*"]["source"] == "fallback"
    bad = a.put("/approvals/flows/identity.role_grant", json={"mode": "review", "levels": []})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "levels"
    ok = a.put(
        "/approvals/flows/identity.role_grant",
        json={
            "mode": "review",
            "expiry_hours": 24,
            "levels": [
                {"name": "checker", "role_codes": ["admin"]},
                {"name": "head", "role_codes": ["admin"], "required_approvals": 2},
            ],
        },
    )
    assert ok.status_code == 200
    assert ok.json()["executed"] is True  # single-admin mode: applied at once, recorded
    assert ok.json()["request"]["action_type"] == "approvals.flow_configure"
    body = {f["action_type"]: f for f in a.get("/approvals/flows").json()}["identity.role_grant"]
    assert body["scope"] == "organisation" and body["level_count"] == 2
    assert [lv["required_approvals"] for lv in body["levels"]] == [1, 2]
    unknown = a.put("/approvals/flows/no.such.action", json={"mode": "auto"})
    assert unknown.status_code == 404
    removed = a.delete("/approvals/flows/identity.role_grant")
    assert removed.status_code == 200 and removed.json()["executed"] is True
