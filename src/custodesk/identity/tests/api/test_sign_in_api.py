"""Sign-in over real HTTP: the captcha, the SMS second factor, the authenticator a
"totp" organisation requires, and the login name change (SELF-CRED)."""

import httpx
from django.db import transaction

from custodesk.identity import services
from custodesk.identity.models import LoginDevice, User
from custodesk.testing.fixtures import PASSWORD, totp_code
from custodesk.testing.governance import captcha_answer, delivered_code

PHONE = "+85291234567"
NEW = "Brand-New-Pass-77"


def open_org(admin, clock, factor):
    with transaction.atomic():
        _org, user, temp = services.organisation_open(
            actor=admin,
            code="M300",
            name="Harbour Trading Ltd",
            kind="member",
            sign_in_factor=factor,
            admin_username="harbour.admin",
            admin_full_name="Hal Harbour",
            admin_email="hal@harbour.example",
            admin_phone=PHONE,
            admin_language="en",
            now=clock.now(),
        )
    return user, temp


def test_the_captcha_route_and_its_image(api_client, db, live_server):
    api = api_client()
    body = api.get("/auth/captcha").json()
    assert set(body) == {"key", "image_url"}
    assert body["image_url"].startswith(live_server.url + "/captcha/image/")
    image = httpx.get(body["image_url"])
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert image.content[:4] == b"\x89PNG"
    # the console's pages may show it: same origin under their CSP
    page = httpx.get(live_server.url + "/console/sign-in/?captcha=1")
    csp = page.headers["content-security-policy"]
    assert "img-src 'self'" in csp and "/captcha/image/" in page.text


def test_a_captcha_is_required_after_a_failure_and_a_wrong_one_changes_nothing(
    api_client, make_user
):
    make_user("alice")
    api = api_client()
    refused = api.sign_in("alice", "Wrong-Pass-000").json()
    assert refused["code"] == "invalid_credentials" and refused["captcha_required"] is True

    missing = api.sign_in("alice")
    assert missing.status_code == 401
    assert missing.json()["code"] == "captcha_required"
    assert missing.json()["field"] == "captcha_value"
    records = LoginDevice.objects.count()
    key = api.get("/auth/captcha").json()["key"]
    wrong = api.sign_in("alice", captcha_key=key, captcha_value="XXXXX")
    assert wrong.status_code == 401 and wrong.json()["code"] == "captcha_invalid"
    replayed = api.sign_in("alice", captcha_key=key, captcha_value="anything")
    assert replayed.json()["code"] == "captcha_invalid"
    assert LoginDevice.objects.count() == records  # nothing recorded, nothing counted
    assert User.objects.get(username="alice").failed_logins == 1

    key = api.get("/auth/captcha").json()["key"]
    answer = captcha_answer(key)
    ok = api.sign_in("alice", captcha_key=key, captcha_value=answer)
    assert ok.status_code == 200
    again = api_client().sign_in("alice", captcha_key=key, captcha_value=answer)
    assert again.status_code == 200  # after a success none is due (the used key is ignored)


def test_unknown_names_get_the_captcha_the_same_way(api_client, db):
    api = api_client()
    assert api.sign_in("nobody-here").json()["captcha_required"] is True
    assert api.sign_in("nobody-here").json()["code"] == "captcha_required"
    assert api.sign_in("nobody-here", captcha=True).json()["code"] == "invalid_credentials"


def test_sms_second_factor_over_http(api_client, admin, clock):
    user, temp = open_org(admin, clock, "sms")
    api = api_client()
    first = api.sign_in("harbour.admin", temp)
    assert first.status_code == 401
    body = first.json()
    assert body["code"] == "otp_required" and body["second_factor"] == "sms"
    code = delivered_code(PHONE, clock=clock)
    assert code not in first.text

    wrong = api.sign_in("harbour.admin", temp, otp_code="12345x", challenge_id=body["challenge_id"])
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "otp_code"
    assert wrong.json()["errors"][0]["rule"] == "code_invalid"
    ok = api.sign_in(
        "harbour.admin", temp, otp_code=code, challenge_id=body["challenge_id"], captcha=True
    )
    assert ok.status_code == 200 and ok.json()["must_change_password"] is True
    replay = api_client().sign_in(
        "harbour.admin", temp, otp_code=code, challenge_id=body["challenge_id"]
    )
    assert replay.status_code == 422 and replay.json()["errors"][0]["rule"] == "code_used"
    assert [d.result for d in LoginDevice.objects.filter(user=user).order_by("id")] == [
        "otp_required",
        "bad_otp",
        "success",
        "bad_otp",
    ]
    # the first sign-in forces the password change before anything else
    assert api.get("/users").json()["code"] == "password_change_required"


def test_a_totp_organisation_forces_the_enrolment_after_the_password_change(
    api_client, admin, clock
):
    user, temp = open_org(admin, clock, "totp")
    api = api_client()
    signed_in = api.sign_in("harbour.admin", temp).json()
    assert signed_in["must_change_password"] is True
    assert signed_in["second_factor_enrolment_required"] is True
    assert api.post("/me/totp").json()["code"] == "password_change_required"
    changed = api.post(
        "/auth/password",
        json={"current_password": temp, "new_password": NEW, "new_password_again": NEW},
    )
    assert changed.status_code == 200
    assert changed.json()["second_factor_enrolment_required"] is True
    refused = api.get("/users")
    assert refused.status_code == 403
    assert refused.json()["code"] == "second_factor_enrolment_required"
    assert api.get("/me").status_code == 200
    assert api.post("/me/totp").status_code == 200
    confirm = api.post("/me/totp/confirm", json={"code": totp_code(user)})
    assert confirm.status_code == 200
    assert api.get("/users").status_code == 200
    # from now on sign-in asks for the authenticator's code
    needs = api_client().sign_in("harbour.admin", NEW).json()
    assert needs["code"] == "otp_required" and needs["second_factor"] == "totp"


def test_changing_the_login_name_over_http(api_client, make_user):
    make_user("alice")
    make_user("bobby")
    api = api_client()
    api.sign_in("alice")

    def change(name, again=None, password=PASSWORD):
        return api.post(
            "/me/username",
            json={
                "new_username": name,
                "new_username_again": again or name,
                "current_password": password,
            },
        )

    for name, rule in (("1alice", "pattern"), ("ab", "pattern"), ("Bobby", "unique")):
        refused = change(name)
        assert refused.status_code == 422
        assert refused.json()["errors"][0] == {
            "field": "new_username",
            "rule": rule,
            "message": refused.json()["errors"][0]["message"],
        }
    assert change("alice.w", "alice.x").json()["errors"][0]["field"] == "new_username_again"
    assert change("alice.w", password="Wrong-Pass-000").json()["code"] == "wrong_current_password"
    done = change("alice.w@home")
    assert done.status_code == 200 and done.json()["username"] == "alice.w@home"
    assert api_client().sign_in("alice.w@home", captcha=True).status_code == 200
