"""Security events over HTTP (list, filters, exports), the password change under the
lockout, answers carrying secrets not stored by caches, CUSTODESK_HTTPS."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from typing import Any

import pytest
from openpyxl import load_workbook

from custodesk.testing.fixtures import PASSWORD, totp_code

pytestmark = pytest.mark.django_db(transaction=True)
NEW_PASSWORD = "Brand-New-Pass-77"


def test_refusals_are_listed_filtered_and_exported(api_client: Any, admin: Any, make_user):
    make_user("olive", roles=["operator"])
    olive = api_client()
    olive.sign_in("olive")
    assert olive.get("/audit", headers={"X-Device-Id": "olive-device-000001"}).status_code == 403
    api_client().sign_in("nobody")
    staff = api_client()
    staff.sign_in("admin")
    listed = staff.get("/security-events").json()["items"]
    assert [(e["reason"], e["username"]) for e in listed] == [
        ("unknown_user", "nobody"),
        ("permission_denied", "olive"),
    ]
    refused = listed[1]
    assert refused["route"] == "GET /api/v1/audit" and refused["detail"] == "audit.entry.view"
    assert refused["ip"] == "127.0.0.1" and refused["device_id"] == "olive-device-000001"
    assert refused["channel"] == "api" and refused["code"] == "permission_denied"
    only = staff.get("/security-events", params={"reason": "permission_denied"}).json()
    assert [e["username"] for e in only["items"]] == ["olive"]
    by_route = staff.get("/security-events", params={"route": "auth/sign-in"}).json()
    assert [e["username"] for e in by_route["items"]] == ["nobody"]
    today = {"date_from": "2026-11-23", "date_to": "2026-11-23"}
    assert staff.get("/security-events", params=today).json()["count"] == 2
    assert staff.get("/security-events", params={"date_from": "2026-11-24"}).json()["count"] == 0
    bad = staff.get("/security-events", params={"date_from": "x"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "date_from"

    xlsx = staff.get("/security-events/export", params={"format": "xlsx"})
    rows = [[c.value for c in r] for r in load_workbook(io.BytesIO(xlsx.content)).active.rows]
    assert rows[0][:3] == ["at", "username", "reason"] and len(rows) == 3
    csv = staff.get("/login-devices/export", params={"result": "unknown_user"})
    assert csv.headers["Content-Type"].startswith("text/csv")
    lines = csv.content.decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 2 and ",nobody,unknown_user,api,127.0.0.1," in lines[1]
    # only who may see login-device records sees them
    assert olive.get("/security-events").status_code == 403


def test_a_password_change_brute_force_locks_out_and_ends_the_token(api_client: Any, make_user):
    make_user("alice")
    api = api_client()
    api.sign_in("alice")
    wrong = {"current_password": "Wrong-Pass-000", "new_password": NEW_PASSWORD,
             "new_password_again": NEW_PASSWORD}  # fmt: skip
    for _ in range(4):
        answer = api.post("/auth/password", json=wrong)
        assert answer.status_code == 422 and answer.json()["code"] == "wrong_current_password"
    fifth = api.post("/auth/password", json=wrong)
    assert fifth.status_code == 423 and fifth.json()["code"] == "locked_out"
    assert api.get("/me").json()["code"] == "session_ended"
    assert api_client().sign_in("alice").status_code == 401


def test_answers_with_tokens_or_secrets_are_not_stored(api_client: Any, make_user):
    alice = make_user("alice")
    api = api_client()
    signed_in = api.sign_in("alice")
    assert signed_in.headers["Cache-Control"] == "no-store"
    begun = api.post("/me/totp")
    assert begun.status_code == 200 and begun.headers["Cache-Control"] == "no-store"
    codes = api.post("/me/totp/confirm", json={"code": totp_code(alice)})
    assert codes.status_code == 200 and codes.headers["Cache-Control"] == "no-store"
    changed = api.post(
        "/auth/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD,
              "new_password_again": NEW_PASSWORD},
    )  # fmt: skip
    assert changed.headers["Cache-Control"] == "no-store"


def test_https_switches_hsts_and_secure_cookies_on_together():
    probe = (
        "import json, django; from django.conf import settings; django.setup(); "
        "print(json.dumps([settings.SECURE_HSTS_SECONDS, settings.SESSION_COOKIE_SECURE, "
        "settings.CSRF_COOKIE_SECURE, settings.LANGUAGE_COOKIE_SECURE, "
        "getattr(settings, 'SECURE_PROXY_SSL_HEADER', None)]))"
    )

    def settings_with(**env: str) -> list[Any]:
        import os

        base = {k: v for k, v in os.environ.items() if not k.startswith("CUSTODESK_HTTPS")}
        base.update(DJANGO_SETTINGS_MODULE="custodesk.config.settings", **env)
        out = subprocess.run(
            [sys.executable, "-c", probe], env=base, check=True, capture_output=True, text=True
        )
        return list(json.loads(out.stdout.strip().splitlines()[-1]))

    assert settings_with(CUSTODESK_HTTPS="0") == [0, False, False, False, None]
    assert settings_with(CUSTODESK_HTTPS="1") == [31_536_000, True, True, True, None]
    assert settings_with(CUSTODESK_HTTPS="1", CUSTODESK_TRUSTED_PROXIES="1") == [
        31_536_000, True, True, True, ["HTTP_X_FORWARDED_PROTO", "https"],
    ]  # fmt: skip


def test_https_answers_carry_hsts_and_secure_cookies(client: Any, admin: Any, settings: Any):
    settings.CUSTODESK_HTTPS = True
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    answer = client.post("/console/sign-in/", {"username": "admin", "password": PASSWORD})
    assert answer["Strict-Transport-Security"] == "max-age=31536000"
    assert answer.cookies["sessionid"]["secure"] is True
    assert answer.cookies["custodesk_device"]["secure"] is True
