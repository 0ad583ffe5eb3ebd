"""Console: the second step keeps no password, a wrong current password counts toward the
lockout, 403 pages are security events, pages are not stored by caches."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from openpyxl import load_workbook

from custodesk.identity import services
from custodesk.identity.models import SecurityEvent, UserSession
from custodesk.testing.fixtures import PASSWORD, totp_code

pytestmark = pytest.mark.django_db


def sign_in(client: Any, username: str, password: str = PASSWORD) -> Any:
    return client.post("/console/sign-in/", {"username": username, "password": password})


def _body(response: Any) -> bytes:
    """A download's bytes (exports are streamed)."""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return bytes(response.content)


def _stored_sessions() -> str:
    return " ".join(str(s.get_decoded()) for s in Session.objects.all())


def test_the_second_step_keeps_a_signed_proof_and_no_password(client: Any, make_user, clock):
    alice = make_user("alice")
    services.totp_begin(user=alice, now=clock.now())
    services.totp_confirm(user=alice, code=totp_code(alice), now=clock.now())
    first = client.post(
        "/console/sign-in/?next=/console/security/",
        {"username": "alice", "password": PASSWORD, "next": "/console/security/"},
    )
    assert first["Location"] == "/console/sign-in/code/"
    stored = _stored_sessions()
    assert PASSWORD not in stored and "'password'" not in stored
    assert "'proof'" in stored
    done = client.post("/console/sign-in/code/", {"otp_code": totp_code(alice, steps_ahead=1)})
    assert done["Location"] == "/console/security/"
    assert UserSession.objects.filter(user=alice, kind="console").count() == 1


def test_the_second_step_runs_out_after_five_minutes(client: Any, make_user, clock):
    alice = make_user("alice")
    services.totp_begin(user=alice, now=clock.now())
    services.totp_confirm(user=alice, code=totp_code(alice), now=clock.now())
    sign_in(client, "alice")
    clock.advance(minutes=5, seconds=1)
    late = client.post("/console/sign-in/code/", {"otp_code": totp_code(alice, steps_ahead=1)})
    assert late["Location"] == "/console/sign-in/"
    assert "expired" in client.get("/console/sign-in/").content.decode()
    assert not UserSession.objects.filter(user=alice).exists()


def test_wrong_current_passwords_lock_out_and_sign_the_user_out(client: Any, make_user):
    make_user("alice")
    sign_in(client, "alice")
    wrong = {"current_password": "Wrong-Pass-000", "new_password": "x", "new_password_again": "x"}
    for _ in range(4):
        page = client.post("/console/password/", wrong)
        assert page.status_code == 200 and "not correct" in page.content.decode()
    fifth = client.post("/console/password/", wrong)
    assert fifth["Location"] == "/console/sign-in/"
    assert client.get("/console/")["Location"].startswith("/console/sign-in/")
    assert "not correct" in sign_in(client, "alice").content.decode()  # locked out
    reasons = list(SecurityEvent.objects.order_by("id").values_list("reason", flat=True))
    assert reasons == [*["wrong_current_password"] * 5, "lockout_started", "locked_out"]


def test_a_403_page_is_a_security_event_and_pages_are_not_stored(client: Any, admin, make_user):
    make_user("olive", roles=["operator"])
    assert sign_in(client, "olive")["Cache-Control"] == "no-store"
    home = client.get("/console/")
    assert home.status_code == 200 and home["Cache-Control"] == "no-store"
    refused = client.get("/console/audit/", REMOTE_ADDR="192.0.2.44")
    assert refused.status_code == 403 and refused["Cache-Control"] == "no-store"
    event = SecurityEvent.objects.get()
    assert (event.reason, event.username, event.detail, event.route, event.ip) == (
        "permission_denied",
        "olive",
        "audit.entry.view",
        "GET /console/audit/",
        "192.0.2.44",
    )
    assert event.channel == "console" and len(event.device_id) >= 16


def test_security_events_page_filters_and_exports(client: Any, admin, make_user):
    make_user("olive", roles=["operator"])
    sign_in(client, "olive")
    client.get("/console/audit/")  # refused
    client.post("/console/sign-out/")
    sign_in(client, "nobody")
    sign_in(client, "admin")
    page = client.get("/console/security-events/").content.decode()
    assert "audit.entry.view" in page and "nobody" in page
    only = client.get("/console/security-events/?reason=unknown_user").content.decode()
    assert "nobody" in only and "audit.entry.view" not in only
    csv = _body(client.get("/console/security-events/?export=csv")).decode("utf-8-sig")
    header, *rows = csv.strip().splitlines()
    assert header.startswith("at,username,reason,code,detail,channel,route,ip")
    assert len(rows) == 2 and any("/console/audit/" in r for r in rows)
    xlsx = client.get("/console/login-devices/?export=xlsx")
    sheet = load_workbook(io.BytesIO(_body(xlsx))).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][:3] == ["at", "username", "result"]
    assert {v[1] for v in values[1:]} == {"olive", "nobody", "admin"}


def test_a_csrf_refusal_is_a_security_event(admin):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    refused = browser.post("/console/sign-in/", {"username": "admin", "password": PASSWORD})
    assert refused.status_code == 403
    event = SecurityEvent.objects.get()
    assert (event.reason, event.code, event.route) == (
        "permission_denied",
        "csrf_failed",
        "POST /console/sign-in/",
    )
    assert "CSRF" in event.detail
    assert not UserSession.objects.exists()
