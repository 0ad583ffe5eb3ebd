"""Console-only middleware (custodesk.core.middleware.ConsoleOnly) stays off the API.

The console keeps its cookie session, CSRF protection and Content-Security-Policy;
API requests (bearer token, JSON) skip them but still get the request id and the
security headers.
"""

import json

import pytest
from django.conf import settings
from django.utils.module_loading import import_string

from custodesk.core.middleware import API_MIDDLEWARE, ConsoleOnly
from custodesk.testing.fixtures import PASSWORD

pytestmark = pytest.mark.django_db


def test_console_pages_keep_csp_session_and_csrf(client):
    page = client.get("/console/sign-in/")
    assert page.status_code == 200
    assert "default-src" in page["Content-Security-Policy"]
    assert "csrftoken" in page.cookies
    assert page["X-Frame-Options"] == "DENY"
    # CSRF still guards console forms
    strict = client.__class__(enforce_csrf_checks=True)
    refused = strict.post("/console/sign-in/", {"username": "x", "password": "y"})
    assert refused.status_code == 403


def test_api_requests_skip_console_middleware(client, make_user):
    make_user("api-user")
    answer = client.post(
        "/api/v1/auth/sign-in",
        json.dumps({"username": "api-user", "password": PASSWORD}),
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.content
    token = answer.json()["token"]
    me = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert me.status_code == 200 and me.json()["username"] == "api-user"
    for response in (answer, me):
        assert "Content-Security-Policy" not in response
        assert not response.cookies  # no session or CSRF cookie
        assert response["X-Request-ID"]
        assert response["X-Content-Type-Options"] == "nosniff"
        # a whole answer says its length, so servers need not chunk it (keep-alive)
        assert response["Content-Length"] == str(len(response.content))


def test_the_api_docs_page_keeps_its_content_security_policy(client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    assert "default-src" in page["Content-Security-Policy"]


def test_api_requests_must_name_an_allowed_host(client):
    """ALLOWED_HOSTS guards the API too (CommonMiddleware is skipped there, its Host
    check is not)."""
    good = client.get("/api/v1/me")
    assert good.status_code == 401  # reaches the API
    bad = client.get("/api/v1/me", HTTP_HOST="evil.example")
    assert bad.status_code == 400


def test_the_api_runs_a_short_middleware_chain_on_purpose():
    """Each middleware is either one the API runs (listed, with the reason, in
    ``API_MIDDLEWARE``) or console-only; a new one must say which."""
    for name in settings.MIDDLEWARE:
        assert name in API_MIDDLEWARE or issubclass(import_string(name), ConsoleOnly), (
            f"{name}: add it to API_MIDDLEWARE or wrap it in a ConsoleOnly subclass"
        )
    assert set(API_MIDDLEWARE) <= set(settings.MIDDLEWARE)
