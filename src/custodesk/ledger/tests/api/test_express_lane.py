"""The API's express lane for ``POST /ledger/transfers`` (custodesk.core.express and
custodesk.ledger.express), over real HTTP against the live server, which serves the
same WSGI composition as production.

The lane may answer only a plain success, and then exactly as the ordinary view would;
everything else it declines having changed nothing, and the ordinary view answers once.
"""

from __future__ import annotations

import io
import json
import sys
from collections import Counter
from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import resolve, reverse

from custodesk.core import express as core_express
from custodesk.core.middleware import ConsoleOnly
from custodesk.ledger import express, services
from custodesk.ledger.models import LedgerTransfer, RefusedTransfer
from custodesk.testing.fixtures import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

ROUTE = {("POST", "/api/v1/ledger/transfers"): express.create_transfer}
# headers that differ between any two answers, whoever gives them
PER_ANSWER = {"x-request-id", "date", "idempotency-replayed"}


@pytest.fixture
def lane(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Counts what the lane's handler did: 'answered' or 'declined'."""
    seen: Counter[str] = Counter()
    real = express.create_transfer

    def spy(request: Any) -> Any:
        response = real(request)
        seen["declined" if response is None else "answered"] += 1
        return response

    monkeypatch.setattr(express, "create_transfer", spy)
    return seen


@pytest.fixture
def api(api_client: Any, admin: Any, clock: Any) -> Any:
    for code, kind, flags in [
        ("SUM-HK", "market_summary", {"hot": True}),
        ("M-001", "member_sub", {"debits_must_not_exceed_credits": True}),
        ("M-002", "member_sub", {"debits_must_not_exceed_credits": True}),
        ("M-USD", "member_sub", {}),
    ]:
        services.account_open(
            actor=admin,
            code=code,
            kind=kind,
            currency="USD" if code == "M-USD" else "HKD",
            now=clock.now(),
            **flags,
        )
    client = api_client()
    assert client.sign_in("admin").status_code == 200
    return client


def deposit(amount: str = "100.00", **extra: Any) -> dict[str, Any]:
    return {
        "debit_account": "SUM-HK",
        "credit_account": "M-001",
        "amount": amount,
        "currency": "HKD",
        **extra,
    }


def _headers(response: Any) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.lower() not in PER_ANSWER}


def test_the_lane_answers_exactly_as_the_view_does(api, lane, on_postgres):
    if not on_postgres:
        pytest.skip("the one-round-trip booking exists on PostgreSQL only")
    first = api.post("/ledger/transfers", json=deposit(), headers={"Idempotency-Key": "x-1"})
    assert first.status_code == 201, first.text
    assert lane == {"answered": 1}
    # the same key again: the lane declines (the key is known), the view replays the
    # transfer it loads from the database — byte for byte what the lane answered
    replay = api.post("/ledger/transfers", json=deposit(), headers={"Idempotency-Key": "x-1"})
    assert replay.status_code == 200 and replay.headers["Idempotency-Replayed"] == "true"
    assert lane == {"answered": 1, "declined": 1}
    assert replay.content == first.content
    assert _headers(replay) == _headers(first)
    # a hold with a timeout and metadata: its times and fields come back the same too
    hold = deposit("7.25", pending=True, timeout_seconds=3600, metadata={"ref": "A-1"})
    held = api.post("/ledger/transfers", json=hold, headers={"Idempotency-Key": "x-2"})
    again = api.post("/ledger/transfers", json=hold, headers={"Idempotency-Key": "x-2"})
    assert (held.status_code, again.status_code) == (201, 200)
    assert lane == {"answered": 2, "declined": 2}
    assert again.content == held.content
    assert held.json()["timeout_at"] is not None and held.json()["pending_state"] == "pending"
    assert LedgerTransfer.objects.count() == 2


def test_a_transfer_without_a_key_looks_the_same_from_either_path(api, lane, on_postgres):
    with override_settings(CUSTODESK_EXPRESS_LANE=False):
        ordinary = api.post("/ledger/transfers", json=deposit("1.50", kind="deposit"))
    assert lane == {}  # lane off: the handler is not even asked
    express_answer = api.post("/ledger/transfers", json=deposit("2.50", kind="deposit"))
    assert lane == ({"answered": 1} if on_postgres else {"declined": 1})
    assert ordinary.status_code == express_answer.status_code == 201
    assert _headers(ordinary).keys() == _headers(express_answer).keys()
    same = {k: v for k, v in _headers(ordinary).items() if k.lower() != "content-length"}
    assert same == {k: _headers(express_answer)[k] for k in same}
    a, b = ordinary.json(), express_answer.json()
    assert a.keys() == b.keys()
    differ = {k for k in a if a[k] != b[k]}
    assert differ == {"id", "amount"}  # same clock, same accounts: only these differ
    assert (a["amount"], b["amount"]) == ("1.50", "2.50")
    assert LedgerTransfer.objects.count() == 2


def test_what_the_lane_declines_the_view_answers_once(
    api, api_client, lane, make_user, on_postgres
):
    api.post("/ledger/transfers", json=deposit("100.00"))
    booked = LedgerTransfer.objects.count()
    make_user("viewer")  # no role: no ledger permission
    viewer = api_client()
    assert viewer.sign_in("viewer", PASSWORD).status_code == 200
    lane.clear()
    cases: list[tuple[str, Any, int, str]] = [
        ("no token", lambda: api.post("/ledger/transfers", json=deposit(),
                                      headers={"Authorization": ""}), 401,
         "authentication_required"),
        ("bad token", lambda: api.post("/ledger/transfers", json=deposit(),
                                       headers={"Authorization": "Bearer nope"}), 401,
         "authentication_required"),
        ("no permission", lambda: viewer.post("/ledger/transfers", json=deposit()), 403,
         "permission_denied"),
        ("not JSON", lambda: api.post("/ledger/transfers", content=b"{not json",
                                      headers={"Content-Type": "application/json"}), 400,
         ""),
        ("field rule", lambda: api.post("/ledger/transfers", json=deposit("1.001")), 422,
         "validation_failed"),
        ("unknown account", lambda: api.post(
            "/ledger/transfers", json={**deposit(), "credit_account": "NOPE"}), 404,
         "account_not_found"),
        ("other currency", lambda: api.post(
            "/ledger/transfers", json={**deposit(), "credit_account": "M-USD"}), 422,
         "currency_mismatch"),
        ("refusal", lambda: api.post("/ledger/transfers", json={
            "debit_account": "M-001", "credit_account": "M-002", "amount": "100.01",
            "currency": "HKD"}), 422, "exceeds_credits"),
    ]  # fmt: skip
    for name, send, status, code in cases:
        answer = send()
        assert answer.status_code == status, (name, answer.status_code, answer.text)
        if code:
            assert answer.json()["code"] == code, (name, answer.text)
        assert "answered" not in lane, name
    assert LedgerTransfer.objects.count() == booked  # nothing booked by anyone
    # each refusal recorded once — by the view — though the lane looked at it first
    assert Counter(RefusedTransfer.objects.values_list("code", flat=True)) == {
        "currency_mismatch": 1,
        "exceeds_credits": 1,
    }
    # a group member: the lane leaves groups to the general path, which books it
    grouped = api.post("/ledger/transfers", json=deposit("5.00", group_id="g-1"))
    assert grouped.status_code == 201 and grouped.json()["group_id"] == "g-1"
    assert "answered" not in lane
    # and then a plain one goes the express way again (PostgreSQL)
    assert api.post("/ledger/transfers", json=deposit("5.00")).status_code == 201
    assert lane["answered"] == (1 if on_postgres else 0)


def _environ(body: bytes, token: str) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/api/v1/ledger/transfers",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "testserver",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_AUTHORIZATION": f"Bearer {token}",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
    }


def test_an_error_while_booking_is_answered_like_a_view_error_and_never_retried(
    api, monkeypatch, on_postgres
):
    if not on_postgres:
        pytest.skip("the one-round-trip booking exists on PostgreSQL only")
    calls: list[str] = []

    def django(environ: Any, start_response: Any) -> Any:
        calls.append("django")  # would book a second time
        raise AssertionError("a failed express booking must not go on to Django")

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("connection lost after the booking was sent")

    monkeypatch.setattr(services, "book_one_express", broken)
    app = core_express.ExpressLane(django, ROUTE)
    answered: list[Any] = []
    body = b"".join(
        app(
            _environ(json.dumps(deposit()).encode(), api.token),
            lambda status, headers: answered.append((status, dict(headers))),
        )
    )
    status, headers = answered[0]
    assert status.startswith("500") and calls == []
    assert headers["Content-Type"] == "application/problem+json"
    problem = json.loads(body)
    assert problem["code"] == "internal_error" and problem["instance"].endswith(
        headers["X-Request-ID"]
    )


def test_an_error_after_booking_is_answered_there_and_never_books_twice(
    api, monkeypatch, on_postgres
):
    if not on_postgres:
        pytest.skip("the one-round-trip booking exists on PostgreSQL only")
    from custodesk.ledger import schemas

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the answer could not be built")

    monkeypatch.setattr(express.TransferOut, "model_validate", broken)
    answer = api.post("/ledger/transfers", json=deposit("3.00"))
    assert answer.status_code == 500 and answer.json()["code"] == "internal_error"
    assert schemas.TransferOut is express.TransferOut
    # booked once by the lane, not again by the view
    assert LedgerTransfer.objects.count() == 1


def test_an_error_before_any_change_goes_to_django_which_answers_it(api, monkeypatch, on_postgres):
    from django.db.utils import OperationalError

    from custodesk.identity import selectors

    calls: list[str] = []

    def unreachable(*, token: str) -> Any:
        calls.append(token)
        raise OperationalError("the database went away")

    monkeypatch.setattr(selectors, "session_by_token", unreachable)
    answer = api.post("/ledger/transfers", json=deposit("3.00"))
    # the lane's attempt (PostgreSQL only) and the view's: the view's answer is the one sent
    assert len(calls) == (2 if on_postgres else 1)
    assert answer.status_code == 500 and answer.json()["code"] == "internal_error"
    assert LedgerTransfer.objects.count() == 0


def test_a_host_not_allowed_is_left_to_django_which_refuses_it(api, lane):
    calls: list[str] = []

    def django(environ: Any, start_response: Any) -> Any:
        calls.append(environ["HTTP_HOST"])
        start_response("400 Bad Request", [("Content-Type", "text/plain")])
        return [b"bad host"]

    app = core_express.ExpressLane(django, ROUTE)
    environ = _environ(json.dumps(deposit()).encode(), api.token)
    environ["HTTP_HOST"] = "evil.example"
    b"".join(app(environ, lambda status, headers: None))
    assert calls == ["evil.example"] and "answered" not in lane
    assert LedgerTransfer.objects.count() == 0


def test_the_lane_accounts_for_every_middleware():
    from django.conf.urls.i18n import is_language_prefix_patterns_used
    from django.urls import get_resolver
    from django.utils.module_loading import import_string

    accounted = set(core_express.HOOKED_MIDDLEWARE) | set(core_express.REPRODUCED_MIDDLEWARE)
    for name in settings.MIDDLEWARE:
        cls = import_string(name)
        assert name in accounted or issubclass(cls, ConsoleOnly), (
            f"{name} is new: make custodesk.core.express do for API requests what it does"
        )
    # the lane does LocaleMiddleware's work for URLs outside i18n_patterns only
    assert is_language_prefix_patterns_used(settings.ROOT_URLCONF) == (False, False)
    assert get_resolver() is not None


def test_each_route_is_the_path_django_routes_to_the_view():
    from custodesk.config.express import ROUTES

    for (method, path), handler in ROUTES.items():
        name = handler.rsplit(".", 1)[1]
        assert reverse(f"api:{name}") == path
        assert resolve(path).url_name == name
        assert method == "POST"
