"""``POST /ledger/transfers`` over real HTTP: what the one request path answers.

Every request goes through Django, its middleware and django-ninja (there is no second
lane).  On PostgreSQL a plain transfer is booked in one round trip (``ledger_book_one``)
and everything else — a refusal, a replay, a group member — by the engine's general
path; the answers must not show which path booked.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from custodesk.ledger import services
from custodesk.ledger.engine import fast_path
from custodesk.ledger.models import LedgerTransfer, RefusedTransfer
from custodesk.testing.fixtures import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

# headers that differ between any two answers
PER_ANSWER = {"x-request-id", "date", "idempotency-replayed"}


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


def test_a_replay_answers_byte_for_byte_what_the_booking_answered(api):
    first = api.post("/ledger/transfers", json=deposit(), headers={"Idempotency-Key": "x-1"})
    assert first.status_code == 201, first.text
    # the same key again: the transfer loaded from the database, described exactly as
    # the booking described what it had in hand
    replay = api.post("/ledger/transfers", json=deposit(), headers={"Idempotency-Key": "x-1"})
    assert replay.status_code == 200 and replay.headers["Idempotency-Replayed"] == "true"
    assert "idempotency-replayed" not in first.headers
    assert replay.content == first.content
    assert _headers(replay) == _headers(first)
    # after a timeout a client may also look the transfer up by its key
    found = api.get("/ledger/transfers", params={"idempotency_key": "x-1"}).json()["items"]
    assert found == [first.json()]
    # a hold with a timeout and metadata: its times and fields come back the same too
    hold = deposit("7.25", pending=True, timeout_seconds=3600, metadata={"ref": "A-1"})
    held = api.post("/ledger/transfers", json=hold, headers={"Idempotency-Key": "x-2"})
    again = api.post("/ledger/transfers", json=hold, headers={"Idempotency-Key": "x-2"})
    assert (held.status_code, again.status_code) == (201, 200)
    assert again.content == held.content
    assert held.json()["timeout_at"] is not None and held.json()["pending_state"] == "pending"
    assert LedgerTransfer.objects.count() == 2


def test_a_transfer_looks_the_same_whichever_path_books_it(api, monkeypatch, on_postgres):
    """The general path (forced: the one-round-trip call declines) and the usual one."""
    calls: Counter[str] = Counter()
    real = fast_path.book_one

    def declining(*args: Any, **kwargs: Any) -> Any:
        calls["fast path asked"] += 1
        return None  # as the function answers whatever it leaves to the general path

    monkeypatch.setattr(fast_path, "book_one", declining)
    general = api.post("/ledger/transfers", json=deposit("1.50", kind="deposit"))
    assert calls == ({"fast path asked": 1} if on_postgres else {})
    monkeypatch.setattr(fast_path, "book_one", real)
    usual = api.post("/ledger/transfers", json=deposit("2.50", kind="deposit"))
    assert general.status_code == usual.status_code == 201
    assert _headers(general).keys() == _headers(usual).keys()
    same = {k: v for k, v in _headers(general).items() if k.lower() != "content-length"}
    assert same == {k: _headers(usual)[k] for k in same}
    a, b = general.json(), usual.json()
    assert a.keys() == b.keys()
    differ = {k for k in a if a[k] != b[k]}
    assert differ == {"id", "amount"}  # same clock, same accounts: only these differ
    assert (a["amount"], b["amount"]) == ("1.50", "2.50")
    assert LedgerTransfer.objects.count() == 2


def test_every_refusal_is_answered_and_recorded_once(api, api_client, make_user):
    api.post("/ledger/transfers", json=deposit("100.00"))
    booked = LedgerTransfer.objects.count()
    make_user("viewer")  # no role: no ledger permission
    viewer = api_client()
    assert viewer.sign_in("viewer", PASSWORD).status_code == 200
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
        assert answer.headers["Content-Type"] == "application/problem+json", name
        if code:
            assert answer.json()["code"] == code, (name, answer.text)
    assert LedgerTransfer.objects.count() == booked  # nothing booked
    # each refusal the ledger saw is recorded once; what it never saw is not
    assert Counter(RefusedTransfer.objects.values_list("code", flat=True)) == {
        "currency_mismatch": 1,
        "exceeds_credits": 1,
    }
    # a group member goes the general path, which books it
    grouped = api.post("/ledger/transfers", json=deposit("5.00", group_id="g-1"))
    assert grouped.status_code == 201 and grouped.json()["group_id"] == "g-1"
    assert api.post("/ledger/transfers", json=deposit("5.00")).status_code == 201
    assert LedgerTransfer.objects.count() == booked + 2


def test_an_error_before_any_change_is_answered_as_problem_json(api, monkeypatch):
    from django.db.utils import OperationalError

    from custodesk.identity import selectors

    calls: list[str] = []

    def unreachable(*, token: str) -> Any:
        calls.append(token)
        raise OperationalError("the database went away")

    monkeypatch.setattr(selectors, "session_by_token", unreachable)
    answer = api.post("/ledger/transfers", json=deposit("3.00"))
    assert len(calls) == 1  # asked once: one request path
    assert answer.status_code == 500 and answer.json()["code"] == "internal_error"
    assert answer.json()["instance"].endswith(answer.headers["X-Request-ID"])
    assert LedgerTransfer.objects.count() == 0


def test_a_transfer_request_asks_for_permissions_only_with_the_token(api, monkeypatch):
    """The bearer-token lookup brings the user's permission codes in the same statement;
    the permission check then asks the database nothing."""
    import psycopg
    from django.db.backends.utils import CursorWrapper

    from custodesk.identity.models import RoleGrant

    statements: list[str] = []
    django_execute, psycopg_execute = CursorWrapper.execute, psycopg.Cursor.execute

    def via_django(self: Any, sql: str, params: Any = None) -> Any:
        statements.append(str(sql))
        return django_execute(self, sql, params)

    def via_psycopg(self: Any, query: Any, params: Any = None, **kw: Any) -> Any:
        if not isinstance(self, psycopg.ClientCursor):  # Django's own: counted above
            statements.append(query if isinstance(query, str) else query.decode())
        return psycopg_execute(self, query, params, **kw)

    monkeypatch.setattr(CursorWrapper, "execute", via_django)
    monkeypatch.setattr(psycopg.Cursor, "execute", via_psycopg)
    answer = api.post("/ledger/transfers", json=deposit("4.00"))
    assert answer.status_code == 201, answer.text
    grants = RoleGrant._meta.db_table
    assert [s for s in statements if grants in s] == [statements[0]]  # the token lookup


def test_a_refused_request_sent_again_replays_its_refusal_on_either_route(api):
    """The key names the first attempt: resent (alone or in a batch) it gets the same
    refusal, marked replayed, even though the transfer would book now; each retry is
    recorded as an attempt of its own, pointing at the first."""
    body = {"debit_account": "M-001", "credit_account": "M-002", "amount": "1.00",
            "currency": "HKD"}  # fmt: skip
    first = api.post("/ledger/transfers", json=body, headers={"Idempotency-Key": "r-1"})
    assert first.status_code == 422 and first.json()["code"] == "exceeds_credits"
    assert "idempotency-replayed" not in first.headers
    # money arrives: a new request would book, the old one's answer stays
    assert api.post("/ledger/transfers", json=deposit("5.00")).status_code == 201
    again = api.post("/ledger/transfers", json=body, headers={"Idempotency-Key": "r-1"})
    assert again.status_code == 422 and again.headers["Idempotency-Replayed"] == "true"
    assert again.headers["Content-Type"] == "application/problem+json"
    same = {k: v for k, v in first.json().items() if k != "instance"}
    assert {k: v for k, v in again.json().items() if k != "instance"} == same
    # the same request as a batch item (the key in the body): the same answer
    batch = api.post(
        "/ledger/transfers/batch", json={"transfers": [{**body, "idempotency_key": "r-1"}]}
    )
    [item] = batch.json()
    assert (item["ok"], item["code"], item["replayed"]) == (False, "exceeds_credits", True)
    # and a refusal first met in a batch replays on the single route the same way
    batch_first = api.post(
        "/ledger/transfers/batch",
        json={"transfers": [{**body, "amount": "99.00", "idempotency_key": "r-2"}]},
    ).json()[0]
    assert (batch_first["code"], batch_first["replayed"]) == ("exceeds_credits", False)
    single = api.post(
        "/ledger/transfers", json={**body, "amount": "99.00"}, headers={"Idempotency-Key": "r-2"}
    )
    assert single.status_code == 422 and single.headers["Idempotency-Replayed"] == "true"
    # every attempt is on the record: the firsts hold the keys, the retries point at them
    attempts = api.get("/ledger/refused").json()["items"][::-1]  # oldest first
    assert [(a["idempotency_key"], a["code"]) for a in attempts] == [
        ("r-1", "exceeds_credits")
    ] * 3 + [("r-2", "exceeds_credits")] * 2
    r1, r2 = attempts[0]["id"], attempts[3]["id"]
    assert [a["replay_of"] for a in attempts] == [None, r1, r1, None, r2]
    assert RefusedTransfer.objects.filter(idempotency_key__isnull=False).count() == 2
    assert LedgerTransfer.objects.count() == 1
