"""Console pages (Django test client): sign-in, forced change, menu, devices, user actions."""

import pytest

from custodesk.audit.models import AuditEntry
from custodesk.identity import services
from custodesk.identity.models import User, UserSession
from custodesk.testing.fixtures import PASSWORD, totp_code
from custodesk.testing.governance import captcha_answer

pytestmark = pytest.mark.django_db

NEW = "Brand-New-Pass-77"


def sign_in(client, username, password=PASSWORD, *, after=None):
    """``after``: the page of a refused attempt, whose captcha is solved and sent."""
    data = {"username": username, "password": password}
    if after is not None:
        key = after.context["captcha"]["key"]
        data.update(captcha_key=key, captcha_value=captcha_answer(key))
    return client.post("/console/sign-in/", data)


def test_sign_in_and_out(client, admin):
    assert client.get("/console/").status_code == 302  # anonymous → sign-in
    bad = sign_in(client, "admin", "nope")
    assert bad.status_code == 200
    assert "not correct" in bad.content.decode()
    # the refusal put a captcha on the page: the next attempt solves it
    assert 'data-testid="captcha-image"' in bad.content.decode()
    good = sign_in(client, "admin", after=bad)
    assert good.status_code == 302 and good["Location"] == "/console/"
    home = client.get("/console/")
    assert "Ada Admin" in home.content.decode()
    client.post("/console/sign-out/")
    assert client.get("/console/").status_code == 302
    assert UserSession.objects.get(user=admin).end_reason == "signed_out"


def test_first_sign_in_is_sent_to_the_password_page_until_changed(client, make_user):
    make_user("nina", must_change_password=True, roles=["auditor"])
    response = sign_in(client, "nina")
    assert response["Location"] == "/console/password/"
    for path in ("/console/", "/console/audit/", "/console/users/"):
        assert client.get(path)["Location"] == "/console/password/"
    page = client.get("/console/password/").content.decode()
    assert 'data-testid="forced-password-notice"' in page
    mismatch = client.post(
        "/console/password/",
        {"current_password": PASSWORD, "new_password": NEW, "new_password_again": NEW + "x"},
    )
    assert "not the same" in mismatch.content.decode()
    done = client.post(
        "/console/password/",
        {"current_password": PASSWORD, "new_password": NEW, "new_password_again": NEW},
    )
    assert done["Location"] == "/console/"
    assert client.get("/console/audit/").status_code == 200


def test_menu_is_built_from_permissions(client, make_user):
    make_user("olive", roles=["operator"])
    sign_in(client, "olive")
    page = client.get("/console/").content.decode()
    assert "/console/users/" in page
    assert "/console/audit/" not in page
    assert client.get("/console/audit/").status_code == 403
    client.post("/console/sign-out/")
    make_user("ivan", roles=["auditor"])
    sign_in(client, "ivan")
    page = client.get("/console/").content.decode()
    assert "/console/audit/" in page and "/console/login-devices/" in page


def test_forced_out_console_session_is_rejected(client, admin, make_user, clock):
    bob = make_user("bob", roles=["operator"])
    sign_in(client, "bob")
    assert client.get("/console/").status_code == 200
    session = UserSession.objects.get(user=bob, ended_at__isnull=True)
    services.session_force_logout(actor=admin, session_id=session.public_id, now=clock.now())
    response = client.get("/console/users/")
    assert response.status_code == 302 and response["Location"] == "/console/sign-in/"
    assert client.get("/console/").status_code == 302  # stays signed out


def test_idle_console_session_expires(client, make_user, clock):
    make_user("bob", roles=["operator"])
    sign_in(client, "bob")
    clock.advance(minutes=20)
    assert client.get("/console/").status_code == 200  # activity slides the expiry
    clock.advance(minutes=29)
    assert client.get("/console/").status_code == 200
    clock.advance(minutes=31)
    assert client.get("/console/")["Location"] == "/console/sign-in/"


def test_totp_second_step_in_the_console(client, make_user, clock):
    alice = make_user("alice")
    services.totp_begin(user=alice, now=clock.now())
    services.totp_confirm(user=alice, code=totp_code(alice), now=clock.now())
    response = sign_in(client, "alice")
    assert response["Location"] == "/console/sign-in/code/"
    wrong = client.post("/console/sign-in/code/", {"otp_code": "000000"})
    assert wrong.status_code == 200 and "already been used" in wrong.content.decode()
    ok = client.post("/console/sign-in/code/", {"otp_code": totp_code(alice, steps_ahead=1)})
    assert ok["Location"] == "/console/"


def test_enrol_totp_from_my_security(client, make_user):
    alice = make_user("alice")
    sign_in(client, "alice")
    page = client.post("/console/security/totp/").content.decode()
    assert "data:image/svg+xml" in page and 'data-testid="totp-secret"' in page
    codes = client.post("/console/security/totp/confirm/", {"code": totp_code(alice)})
    assert 'data-testid="recovery-codes"' in codes.content.decode()
    assert services.has_totp(alice)


def test_lock_asks_for_confirmation_and_a_reason(client, admin, make_user):
    bob = make_user("bob")
    sign_in(client, "admin")
    url = f"/console/users/{bob.public_id}/lock/"
    assert 'data-testid="confirm-form"' in client.get(url).content.decode()
    missing = client.post(url, {"reason": ""})
    assert missing.status_code == 200
    assert User.objects.get(pk=bob.pk).status == "active"
    done = client.post(url, {"reason": "suspicious activity"})
    assert done.status_code == 302
    assert User.objects.get(pk=bob.pk).status == "locked"
    assert AuditEntry.objects.filter(action="user.lock", reason="suspicious activity").exists()


def test_grant_from_the_user_page_and_find_it_in_the_audit_log(client, admin, make_user):
    from custodesk.identity.models import Role

    bob = make_user("bob")
    sign_in(client, "admin")
    approver = Role.objects.get(code="approver")
    client.post(f"/console/users/{bob.public_id}/grant/", {"role": str(approver.public_id)})
    detail = client.get(f"/console/users/{bob.public_id}/").content.decode()
    assert "approver" in detail
    audit = client.get("/console/audit/", {"action": "role.grant", "object_id": str(bob.public_id)})
    assert "bob ← approver" in audit.content.decode()
    entry = AuditEntry.objects.get(action="role.grant", object_id=str(bob.public_id))
    drawer = client.get(f"/console/audit/{entry.public_id}/", HTTP_HX_REQUEST="true")
    assert 'data-testid="audit-detail"' in drawer.content.decode()
    assert "<html" not in drawer.content.decode()  # a partial for the drawer
    csv = client.get("/console/audit/", {"action": "role.grant", "export": "csv"})
    assert csv["Content-Type"].startswith("text/csv")
    assert "bob ← approver" in csv.getvalue().decode("utf-8-sig")


def test_user_list_filters_and_empty_state(client, admin, make_user):
    make_user("bob", roles=["operator"])
    make_user("carol", roles=["approver"])
    sign_in(client, "admin")
    page = client.get("/console/users/", {"role": "approver"}).content.decode()
    assert "carol" in page and ">bob<" not in page
    empty = client.get("/console/users/", {"q": "zzzz"}).content.decode()
    assert "No users match these filters." in empty


def test_login_devices_page_lists_attempts_and_sessions(client, admin, make_user):
    make_user("bob")
    services.sign_in(
        username="bob",
        password="x",
        otp_code=None,
        kind="api",
        now=__import__("custodesk.core.clock", fromlist=["now"]).now(),
    )
    sign_in(client, "admin")
    page = client.get("/console/login-devices/", {"result": "bad_password"}).content.decode()
    assert "bob" in page and "Wrong password" in page
    assert 'data-testid="sessions-table"' in page
