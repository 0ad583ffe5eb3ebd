"""Sign-in, first-login password change, lockout, TOTP and forced logout over real HTTP."""

import pytest

from custodesk.testing.fixtures import PASSWORD, totp_code

pytestmark = pytest.mark.django_db(transaction=True)

NEW_PASSWORD = "Brand-New-Pass-77"


def test_admin_signs_in_and_reads_itself(api_client, admin):
    api = api_client()
    response = api.sign_in("admin")
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["user"]["username"] == "admin"
    assert "identity.role.grant" in body["user"]["permissions"]
    me = api.get("/me").json()
    assert me["organisation"]["code"] == "STAFF"


def test_first_login_forces_a_password_change(api_client, make_user):
    make_user("nina", must_change_password=True, roles=["operator"])
    api = api_client()
    body = api.sign_in("nina").json()
    assert body["must_change_password"] is True

    refused = api.get("/users")
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "password_change_required"
    assert api.get("/me").status_code == 200  # allowed while forced

    weak = api.post(
        "/auth/password",
        json={"current_password": PASSWORD, "new_password": "abc", "new_password_again": "abc"},
    )
    assert weak.status_code == 422
    assert {e["field"] for e in weak.json()["errors"]} == {"new_password"}

    ok = api.post(
        "/auth/password",
        json={
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "new_password_again": NEW_PASSWORD,
        },
    )
    assert ok.status_code == 200 and ok.json()["must_change_password"] is False
    assert api.get("/users").status_code == 200
    # the old password no longer works; the new one does
    assert api_client().sign_in("nina").status_code == 401
    # after that refusal a captcha is due for "nina"
    assert api_client().sign_in("nina", NEW_PASSWORD).json()["code"] == "captcha_required"
    assert api_client().sign_in("nina", NEW_PASSWORD, captcha=True).status_code == 200


def test_lockout_over_http_with_the_injected_clock(api_client, make_user, clock):
    make_user("alice")
    api = api_client()
    for i in range(5):
        # a captcha is due after the first refusal: solved each time
        wrong = api.sign_in("alice", "Wrong-Pass-000", captcha=i > 0)
        assert wrong.status_code == 401
        assert wrong.json()["code"] == "invalid_credentials"
    # locked out: the right password gets the answer an unknown user gets
    locked = api.sign_in("alice", captcha=True)
    unknown = api.sign_in("nobody-here")
    assert locked.status_code == unknown.status_code == 401
    body = {k: v for k, v in locked.json().items() if k != "instance"}
    assert body == {k: v for k, v in unknown.json().items() if k != "instance"}
    assert body["code"] == "invalid_credentials" and "until" not in body
    assert locked.headers["Cache-Control"] == unknown.headers["Cache-Control"] == "no-store"
    clock.advance(minutes=14, seconds=59)
    assert api.sign_in("alice", captcha=True).status_code == 401
    clock.advance(seconds=2)
    assert api.sign_in("alice", captcha=True).status_code == 200


def test_totp_enrolment_and_single_use_codes(api_client, make_user):
    alice = make_user("alice")
    api = api_client()
    api.sign_in("alice")
    begin = api.post("/me/totp").json()
    assert begin["otpauth_uri"].startswith("otpauth://totp/")
    assert begin["qr_svg"].startswith("data:image/svg+xml")
    bad = api.post("/me/totp/confirm", json={"code": "000000"})
    assert bad.status_code == 401 and bad.json()["code"] == "invalid_otp"
    codes = api.post("/me/totp/confirm", json={"code": totp_code(alice)}).json()["recovery_codes"]
    assert len(codes) == 10

    second = api_client()
    needs = second.sign_in("alice")
    assert needs.status_code == 401 and needs.json()["code"] == "otp_required"
    code = totp_code(alice, steps_ahead=1)
    assert second.sign_in("alice", otp_code=code).status_code == 200
    replay = api_client().sign_in("alice", otp_code=code)
    assert replay.status_code == 401 and replay.json()["code"] == "invalid_otp"


def test_forced_out_session_is_rejected_on_its_next_request(api_client, admin, make_user):
    make_user("bob", roles=["operator"])
    bob = api_client()
    bob.sign_in("bob")
    assert bob.get("/me").status_code == 200

    boss = api_client()
    boss.sign_in("admin")
    sessions = boss.get("/sessions").json()
    bob_session = next(s for s in sessions if s["username"] == "bob")
    ended = boss.post(f"/sessions/{bob_session['id']}/force-logout")
    assert ended.status_code == 200 and ended.json()["end_reason"] == "forced"

    after = bob.get("/me")
    assert after.status_code == 401
    assert after.json()["code"] == "session_ended"


def test_force_logout_all_and_sign_out(api_client, admin, make_user):
    make_user("bob")
    first, second = api_client(), api_client()
    first.sign_in("bob")
    second.sign_in("bob")
    boss = api_client()
    boss.sign_in("admin")
    bob_id = next(u["id"] for u in boss.get("/users", params={"q": "bob"}).json()["items"])
    assert boss.post(f"/users/{bob_id}/force-logout").json() == {"ended": 2}
    assert first.get("/me").status_code == 401
    assert second.get("/me").status_code == 401

    third = api_client()
    third.sign_in("bob")
    assert third.post("/auth/sign-out").status_code == 204
    assert third.get("/me").json()["code"] == "session_ended"


def test_garbage_token_is_unauthenticated(api_client, db):
    api = api_client()
    api.token = "cdk_not-a-real-token"
    response = api.get("/me")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_required"
    assert response.headers["www-authenticate"].startswith("Bearer")
