"""Console sign-in: the captcha after a refusal, the SMS code step, the authenticator a
"totp" organisation requires, the login name change in "My security"."""

import pytest
from django.db import transaction

from custodesk.identity import services
from custodesk.identity.models import LoginDevice, User
from custodesk.testing.fixtures import PASSWORD, totp_code
from custodesk.testing.governance import captcha_answer, delivered_code

pytestmark = pytest.mark.django_db

PHONE = "+85298765432"
NEW = "Brand-New-Pass-77"


def post_sign_in(client, username, password=PASSWORD, **extra):
    return client.post("/console/sign-in/", {"username": username, "password": password, **extra})


def open_org(admin, clock, factor):
    with transaction.atomic():
        _org, user, temp = services.organisation_open(
            actor=admin,
            code="M400",
            name="Kowloon Metals Ltd",
            kind="member",
            sign_in_factor=factor,
            admin_username="kowloon.admin",
            admin_full_name="Kay Kowloon",
            admin_email="",
            admin_phone=PHONE,
            admin_language="zh_Hant",
            now=clock.now(),
        )
    return user, temp


def test_the_captcha_appears_after_a_refusal_and_is_checked(client, make_user):
    make_user("alice")
    first = client.get("/console/sign-in/")
    assert 'data-testid="captcha"' not in first.content.decode()
    bad = post_sign_in(client, "alice", "Wrong-Pass-000")
    page = bad.content.decode()
    assert 'data-testid="captcha-image"' in page and 'data-testid="captcha-refresh"' in page
    key = bad.context["captcha"]["key"]
    image = client.get(bad.context["captcha"]["image_url"])
    assert image.status_code == 200 and image["Content-Type"] == "image/png"

    records = LoginDevice.objects.count()
    missing = post_sign_in(client, "alice")
    assert "Enter the characters shown in the image." in missing.content.decode()
    wrong = post_sign_in(client, "alice", captcha_key=key, captcha_value="XXXXX")
    assert wrong.status_code == 200
    assert wrong.context["form"].errors["captcha_value"]
    assert post_sign_in(client, "alice", captcha_key=key, captcha_value="X").status_code == 200
    assert LoginDevice.objects.count() == records and not client.session.get("_auth_user_id")

    key = wrong.context["captcha"]["key"]  # a fresh one was shown
    ok = post_sign_in(client, "alice", captcha_key=key, captcha_value=captcha_answer(key))
    assert ok.status_code == 302 and ok["Location"] == "/console/"


def test_the_refresh_gives_another_image(client, db):
    part = client.get("/console/sign-in/captcha/", HTTP_HX_REQUEST="true")
    assert part.status_code == 200
    other = client.get("/console/sign-in/captcha/")
    assert part.context["captcha"]["key"] != other.context["captcha"]["key"]
    assert 'name="captcha_key"' in part.content.decode()


def test_sms_code_step_in_the_console(client, admin, clock):
    user, temp = open_org(admin, clock, "sms")
    step = post_sign_in(client, "kowloon.admin", temp)
    assert step["Location"] == "/console/sign-in/code/"
    page = client.get("/console/sign-in/code/").content.decode()
    assert 'data-testid="sms-sent"' in page and "5432" in page and PHONE not in page
    code = delivered_code(PHONE, clock=clock)
    wrong = client.post("/console/sign-in/code/", {"otp_code": "000000"})
    assert wrong.status_code == 200 and wrong.context["form"].errors["otp_code"]
    done = client.post("/console/sign-in/code/", {"otp_code": code})
    assert done["Location"] == "/console/password/"  # the first sign-in: password first
    assert [d.result for d in LoginDevice.objects.filter(user=user).order_by("id")] == [
        "otp_required",
        "bad_otp",
        "success",
    ]


def test_an_expired_sms_code_sends_back_to_the_password(client, admin, clock):
    _user, temp = open_org(admin, clock, "sms")
    post_sign_in(client, "kowloon.admin", temp)
    code = delivered_code(PHONE, clock=clock)
    clock.advance(minutes=5)
    late = client.post("/console/sign-in/code/", {"otp_code": code})
    assert late["Location"] == "/console/sign-in/?captcha=1"
    assert client.get("/console/sign-in/code/")["Location"] == "/console/sign-in/"


def test_a_totp_organisation_leads_to_the_enrolment_after_the_password(client, admin, clock):
    user, temp = open_org(admin, clock, "totp")
    assert post_sign_in(client, "kowloon.admin", temp)["Location"] == "/console/password/"
    client.post(
        "/console/password/",
        {"current_password": temp, "new_password": NEW, "new_password_again": NEW},
    )
    for path in ("/console/", "/console/users/", "/console/security/login-name/"):
        assert client.get(path)["Location"] == "/console/security/"
    page = client.get("/console/security/").content.decode()
    assert 'data-testid="totp-required"' in page
    enrol = client.post("/console/security/totp/")
    assert enrol.status_code == 200
    codes = client.post("/console/security/totp/confirm/", {"code": totp_code(user)})
    assert codes.status_code == 200
    assert client.get("/console/").status_code == 200


def test_the_login_name_change_page(client, make_user):
    alice = make_user("alice")
    make_user("bobby")
    assert post_sign_in(client, "alice")["Location"] == "/console/"
    security = client.get("/console/security/").content.decode()
    assert 'data-testid="login-name"' in security and "/console/security/login-name/" in security

    def change(name, password=PASSWORD):
        return client.post(
            "/console/security/login-name/",
            {"new_username": name, "new_username_again": name, "current_password": password},
        )

    digit = change("9alice")
    assert digit.status_code == 200 and digit.context["form"].errors["new_username"]
    taken = change("BOBBY")
    assert "already taken" in str(taken.context["form"].errors["new_username"])
    done = change("alice_w")
    assert done["Location"] == "/console/security/"
    assert User.objects.get(pk=alice.pk).username == "alice_w"


def test_another_sms_code_at_most_once_a_minute(client, admin, clock):
    _user, temp = open_org(admin, clock, "sms")
    post_sign_in(client, "kowloon.admin", temp)
    old = delivered_code(PHONE, clock=clock)
    too_soon = client.post("/console/sign-in/code/resend/", follow=True)
    assert "Wait a minute" in too_soon.content.decode()
    clock.advance(seconds=60)
    client.post("/console/sign-in/code/resend/")
    new = delivered_code(PHONE, clock=clock)
    if new != old:  # the first code belongs to the first challenge, not to this one
        assert client.post("/console/sign-in/code/", {"otp_code": old}).status_code == 200
    assert client.post("/console/sign-in/code/", {"otp_code": new})["Location"] == (
        "/console/password/"
    )
