"""Shared pytest fixtures: data is built through the services, never raw inserts.

Registered from the root ``conftest.py``.  Every test gets a :class:`FixedClock`
(Hong Kong morning of a business day) that it may move.
"""

from __future__ import annotations

import datetime as dt
import itertools
import zoneinfo
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from django.db import connection

from custodesk.core import context
from custodesk.core.clock import FixedClock, set_clock
from custodesk.testing import actions as _test_actions  # noqa: F401 - registers testing.payment

HK = zoneinfo.ZoneInfo("Asia/Hong_Kong")
PASSWORD = "Correct-Horse-42"  # noqa: S105 - test password
START = dt.datetime(2026, 11, 23, 9, 30, tzinfo=HK)


@pytest.fixture(autouse=True)
def clock() -> Iterator[FixedClock]:
    fixed = FixedClock(START)
    previous = set_clock(fixed)
    try:
        yield fixed
    finally:
        set_clock(previous)


@pytest.fixture(autouse=True)
def _ledger_caches() -> Iterator[None]:
    """Account-id caches are safe in production (accounts are never deleted) but not
    across tests, which flush the database."""
    from custodesk.identity.selectors import forget_cached_sessions
    from custodesk.ledger import engine

    engine.clear_caches()
    forget_cached_sessions()
    yield
    engine.clear_caches()
    forget_cached_sessions()


@pytest.fixture(autouse=True)
def anchor_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Each test its own anchor logs (custodesk.core.anchors): anchors written by one test
    would contradict the next test's database.  The directory is made on first write."""
    from django.test import override_settings

    path = tmp_path_factory.getbasetemp() / "anchors" / str(next(_ANCHOR_DIRS))
    with override_settings(CUSTODESK_ANCHOR_DIR=path):
        yield path


_ANCHOR_DIRS = itertools.count(1)


@pytest.fixture(autouse=True)
def request_context() -> Iterator[context.RequestContext]:
    ctx = context.RequestContext(
        request_id=context.new_request_id(), channel="test", ip="127.0.0.1", user_agent="pytest"
    )
    with context.bind(ctx):
        yield ctx


def pytest_configure(config: pytest.Config) -> None:
    """Transactional tests end with a flush; ours keeps the reference tables, empties only
    what a test filled and lifts the append-only guards for its duration
    (``custodesk.testing.flush``)."""
    from custodesk.testing import flush

    flush.install()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[_CALL_FAILED] = report.failed
    return report


_CALL_FAILED = pytest.StashKey[bool]()


@pytest.fixture(autouse=True)
def _ledger_invariants(request: pytest.FixtureRequest) -> Iterator[None]:
    """The ledger's invariants hold after every test that used the database.

    ``ledger verify`` (Σ debits = Σ credits per currency, counters = transfers, flags,
    seals) runs at the end of each such test, before its database is rolled back or
    flushed, so a test that leaves the ledger unsound fails even when it asserts
    nothing about it.  A test that breaks the ledger on purpose (raw SQL around the
    ORM) is marked ``ledger_tampered``.
    """
    marker = request.node.get_closest_marker("django_db")
    uses_db = marker is not None or any(
        f in request.fixturenames for f in ("db", "transactional_db", "live_server")
    )
    if not uses_db or request.node.get_closest_marker("ledger_tampered"):
        yield
        return
    transactional = (
        "live_server" in request.fixturenames
        or "transactional_db" in request.fixturenames
        or (marker is not None and marker.kwargs.get("transaction", False))
    )
    # set up first so that it is torn down after this check
    request.getfixturevalue("transactional_db" if transactional else "db")
    yield
    if request.node.stash.get(_CALL_FAILED, True):
        return  # the test failed (or never ran): its own failure is the news
    from django.db import connections

    from custodesk.ledger import services

    for alias in connections:  # a thread may have left a connection broken; ours is fine
        if connections[alias].needs_rollback:
            return
    problems = [str(v) for v in services.verify()]
    assert problems == [], "ledger verify after the test:\n" + "\n".join(problems)


def process_env(var_dir: Any, secret: str, **extra: str) -> dict[str, str]:
    """The environment for a ``custodesk`` process a test starts, as on a fresh machine:
    none of this test run's ``CUSTODESK_*``/``DJANGO_*`` settings, its own var directory
    (and so its own SQLite database)."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("CUSTODESK_", "DJANGO_"))}
    env.update(CUSTODESK_VAR_DIR=str(var_dir), CUSTODESK_SECRET_KEY=secret, **extra)
    return env


@pytest.fixture
def on_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture
def admin(db: Any, clock: FixedClock) -> Any:
    """The staff organisation's first administrator (role ``admin``: every permission)."""
    from custodesk.identity import services

    user, _ = services.bootstrap_admin(
        organisation_code="STAFF",
        organisation_name="Test Bank back office",
        username="admin",
        full_name="Ada Admin",
        password=PASSWORD,
        must_change_password=False,
        now=clock.now(),
    )
    return user


@pytest.fixture
def make_user(admin: Any, clock: FixedClock) -> Callable[..., Any]:
    """make_user("alice", roles=["operator"], must_change_password=False, organisation=None)."""
    from custodesk.identity import services

    def make(
        username: str,
        *,
        roles: tuple[str, ...] | list[str] = (),
        must_change_password: bool = False,
        organisation: Any = None,
        full_name: str | None = None,
        password: str = PASSWORD,
    ) -> Any:
        user, _ = services.user_create(
            actor=admin,
            organisation_id=organisation.public_id if organisation is not None else None,
            username=username,
            full_name=full_name or username.title(),
            email=f"{username}@example.com",
            password=password,
            must_change_password=must_change_password,
            now=clock.now(),
        )
        for code in roles:
            grant_role(admin, user, code, clock=clock)
        user.refresh_from_db()
        return user

    return make


def grant_role(actor: Any, user: Any, role_code: str, *, clock: FixedClock) -> Any:
    """Grant through the approval engine (single-admin mode: applied at once)."""
    from custodesk.approvals import services as approvals
    from custodesk.identity.models import Role

    role = Role.objects.get(organisation_id=user.organisation_id, code=role_code)
    submitted = approvals.submit(
        actor=actor,
        action_type="identity.role_grant",
        payload={"user_id": str(user.public_id), "role_id": str(role.public_id)},
        now=clock.now(),
    )
    assert submitted.executed, "make_user grants need single-admin mode"
    return submitted


@pytest.fixture
def member_org(admin: Any, clock: FixedClock) -> Any:
    """A member company (another organisation) with its own admin role."""
    from custodesk.identity import services

    return services.organisation_create(
        actor=admin, code="M001", name="Member One Ltd", kind="member", now=clock.now()
    )


class Api:
    """A real HTTP client against the live server's /api/v1."""

    def __init__(self, base_url: str) -> None:
        self.client = httpx.Client(base_url=base_url + "/api/v1", timeout=30)
        self.token: str | None = None

    def request(self, method: str, path: str, **kw: Any) -> httpx.Response:
        headers = kw.pop("headers", {}) or {}
        if self.token and "Authorization" not in headers:
            headers["Authorization"] = f"Bearer {self.token}"
        return self.client.request(method, path, headers=headers, **kw)

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("PUT", path, **kw)

    def delete(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("DELETE", path, **kw)

    def sign_in(
        self, username: str, password: str = PASSWORD, *, captcha: bool = False, **extra: Any
    ) -> httpx.Response:
        """``captcha=True``: fetch a captcha over HTTP and send its answer (as a person
        reading the image would) — a sign-in after a refused one needs it."""
        if captcha:
            extra.update(self.solve_captcha())
        response = self.post(
            "/auth/sign-in", json={"username": username, "password": password, **extra}
        )
        if response.status_code == 200:
            self.token = response.json()["token"]
        return response

    def solve_captcha(self) -> dict[str, str]:
        """``GET /auth/captcha`` and its answer: ``{"captcha_key", "captcha_value"}``."""
        from custodesk.testing.governance import captcha_answer

        key = self.get("/auth/captcha").json()["key"]
        return {"captcha_key": key, "captcha_value": captcha_answer(key)}


@pytest.fixture
def api_client(live_server: Any) -> Iterator[Callable[[], Api]]:
    """Factory of API clients (one per signed-in user) talking real HTTP to the live server."""
    clients: list[Api] = []

    def make() -> Api:
        client = Api(live_server.url)
        clients.append(client)
        return client

    yield make
    for c in clients:
        c.client.close()


def totp_code(user: Any, *, steps_ahead: int = 0) -> str:
    """The current (or a later) TOTP code of the user's confirmed or pending device."""
    import time

    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user).order_by("-id").first()
    assert device is not None
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"
