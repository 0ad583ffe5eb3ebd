"""The optional per-process cache of API sessions (CUSTODESK_API_SESSION_CACHE_SECONDS).

Off by default: every request reads the session.  On, a worker reuses what it loaded
for at most that many seconds; changes made in this process are seen at once, changes
made elsewhere within the bound; expiry is always exact.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import override_settings

from custodesk.core import sql
from custodesk.core.apiauth import auth
from custodesk.identity import selectors, services
from custodesk.identity.errors import SessionEnded
from custodesk.identity.models import UserSession
from custodesk.testing.fixtures import PASSWORD

pytestmark = pytest.mark.django_db


def api_token(clock: Any) -> str:
    outcome = services.sign_in(
        username="alice", password=PASSWORD, otp_code=None, kind=UserSession.Kind.API,
        now=clock.now(),
    )  # fmt: skip
    assert outcome.ok
    return str(outcome.token)


@pytest.fixture
def token(make_user: Any, clock: Any) -> str:
    make_user("alice", roles=["operator"])
    token = api_token(clock)
    selectors.forget_cached_sessions()
    return token


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Each read of a session from the database."""
    seen: list[Any] = []
    real = sql.fetch
    monkeypatch.setattr(sql, "fetch", lambda *a, **kw: seen.append(a) or real(*a, **kw))
    return seen


@pytest.fixture
def monotonic(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    now = [1000.0]
    monkeypatch.setattr(selectors.time, "monotonic", lambda: now[0])
    return now


class Request:
    pass


def test_off_by_default_every_request_reads_the_session(token, reads, settings):
    assert settings.CUSTODESK_API_SESSION_CACHE_SECONDS == 0
    for _ in range(3):
        assert selectors.session_by_token(token=token) is not None
    assert len(reads) == 3


@override_settings(CUSTODESK_API_SESSION_CACHE_SECONDS=5)
def test_on_a_worker_reuses_the_session_for_the_seconds_set(token, reads, monotonic):
    first = selectors.session_by_token(token=token)
    again = selectors.session_by_token(token=token)
    assert len(reads) == 1
    # each caller gets its own objects: a request changing them changes nothing cached
    assert again is not first and again.user is not first.user
    again.user.full_name = "changed by a request"
    assert selectors.session_by_token(token=token).user.full_name == "Alice"
    assert again.user.permission_codes() == first.user.permission_codes()
    monotonic[0] += 5.01
    selectors.session_by_token(token=token)
    assert len(reads) == 2


@override_settings(CUSTODESK_API_SESSION_CACHE_SECONDS=5)
def test_a_session_ended_elsewhere_is_seen_within_the_bound(token, clock, monotonic):
    assert auth.authenticate(Request(), token) is not None  # cached now
    # another process ends it (no signal reaches this one)
    UserSession.objects.filter(token_hash=selectors.token_digest(token)).update(
        ended_at=clock.now(), end_reason=UserSession.EndReason.FORCED
    )
    assert auth.authenticate(Request(), token) is not None  # still within the 5 s
    monotonic[0] += 5.01
    with pytest.raises(SessionEnded):
        auth.authenticate(Request(), token)


@override_settings(CUSTODESK_API_SESSION_CACHE_SECONDS=5)
def test_changes_made_in_this_process_are_seen_at_once(token, admin, clock, monotonic):
    session = selectors.session_by_token(token=token)
    assert session is not None
    services.sign_out(session=session, now=clock.now())
    with pytest.raises(SessionEnded):
        auth.authenticate(Request(), token)
    # a fresh token, then the user is locked: its sessions end, the cache forgets
    fresh = api_token(clock)
    assert auth.authenticate(Request(), fresh) is not None
    services.user_lock(actor=admin, user_id=session.user.public_id, reason="test", now=clock.now())
    with pytest.raises(SessionEnded):
        auth.authenticate(Request(), fresh)


@override_settings(CUSTODESK_API_SESSION_CACHE_SECONDS=60)
def test_expiry_is_exact_even_when_cached(token, clock, monotonic):
    session = auth.authenticate(Request(), token)
    assert session is not None
    clock.set(session.expires_at + dt.timedelta(seconds=1))
    with pytest.raises(SessionEnded):
        auth.authenticate(Request(), token)
