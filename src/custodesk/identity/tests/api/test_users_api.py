import pytest

from custodesk.audit.models import AuditEntry
from custodesk.testing.governance import delivered_password

pytestmark = pytest.mark.django_db(transaction=True)


def test_create_user_grant_role_and_see_it_audited(api_client, admin):
    api = api_client()
    api.sign_in("admin")
    created = api.post(
        "/users",
        json={"username": "carol", "full_name": "Carol Chan", "email": "carol@example.com"},
    )
    assert created.status_code == 201
    carol = created.json()["user"]
    assert carol["must_change_password"] is True
    assert len(created.json()["temporary_password"]) >= 12

    roles = {r["code"]: r["id"] for r in api.get("/roles").json()}
    granted = api.post(f"/users/{carol['id']}/roles", json={"role_id": roles["approver"]})
    assert granted.status_code == 201  # single-admin mode: applied at once
    body = granted.json()
    assert body["executed"] is True and body["request"]["auto_approved"] is True
    assert body["result"]["role"] == "approver"
    listed = api.get(f"/users/{carol['id']}/roles").json()
    assert [g["role"]["code"] for g in listed] == ["approver"]
    assert listed[0]["granted_by"] == "admin"
    assert listed[0]["approval_request_id"] == body["request"]["id"]
    again = api.post(f"/users/{carol['id']}/roles", json={"role_id": roles["approver"]})
    assert again.status_code == 409 and again.json()["code"] == "role_already_granted"

    audit = api.get("/audit", params={"action": "role.grant", "object_id": carol["id"]}).json()
    assert audit["count"] == 1
    assert audit["items"][0]["after"]["roles"] == ["approver"]
    assert audit["items"][0]["ip"] == "127.0.0.1"
    assert audit["items"][0]["channel"] == "api"

    revoked = api.delete(f"/users/{carol['id']}/roles/{roles['approver']}")
    assert revoked.status_code == 200 and revoked.json()["executed"] is True
    assert api.get(f"/users/{carol['id']}/roles").json() == []
    assert len(api.get(f"/users/{carol['id']}/roles", params={"include_revoked": True}).json()) == 1


def test_bad_input_names_the_field_and_changes_nothing(api_client, admin):
    api = api_client()
    api.sign_in("admin")
    before = AuditEntry.objects.count()
    response = api.post("/users", json={"username": "9lives", "full_name": " "})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_failed"
    assert {(e["field"], e["rule"]) for e in body["errors"]} == {
        ("username", "pattern"),
        ("full_name", "required"),
    }
    assert AuditEntry.objects.count() == before
    missing = api.post("/users/00000000-0000-7000-8000-000000000000/lock", json={"reason": "x"})
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    no_reason = api.post(f"/users/{admin.public_id}/lock", json={})
    assert no_reason.status_code == 422
    assert no_reason.json()["errors"][0]["field"] == "reason"


def test_lock_unlock_reset_and_login_devices(api_client, admin, make_user, clock):
    make_user("dave")
    api = api_client()
    api.sign_in("admin")
    dave = api.get("/users", params={"q": "dave"}).json()["items"][0]
    locked = api.post(f"/users/{dave['id']}/lock", json={"reason": "investigation"})
    assert locked.json()["status"] == "locked"
    assert api_client().sign_in("dave").json()["code"] == "user_locked"
    unlocked = api.post(f"/users/{dave['id']}/unlock")
    assert unlocked.status_code == 200 and unlocked.json()["result"]["status"] == "active"
    reset = api.post(f"/users/{dave['id']}/reset-password")
    # single-admin mode: applied at once; the password goes to dave, not to the admin
    assert reset.status_code == 200 and reset.json()["result"]["delivered_by"] == "email"
    temp = delivered_password("dave@example.com", clock=clock)
    assert temp not in reset.text
    assert api_client().sign_in("dave", temp, captcha=True).status_code == 200

    devices = api.get("/login-devices", params={"username": "dave"}).json()
    assert [d["result"] for d in devices["items"]] == ["success", "locked"]
    assert devices["items"][0]["ip"] == "127.0.0.1"
    failures = api.get("/login-devices", params={"result": "locked"}).json()
    assert failures["count"] == 1


def test_operator_cannot_manage_users(api_client, make_user):
    make_user("olive", roles=["operator"])
    api = api_client()
    api.sign_in("olive")
    assert api.get("/users").status_code == 200
    denied = api.post("/users", json={"username": "zed", "full_name": "Zed"})
    assert denied.status_code == 403
    assert denied.json()["permission"] == "identity.user.manage"
