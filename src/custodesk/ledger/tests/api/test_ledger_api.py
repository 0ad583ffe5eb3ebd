"""The ledger over real HTTP: accounts, transfers, holds, idempotency, batch, statements."""

import csv
import io
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def api(api_client, admin):
    client = api_client()
    assert client.sign_in("admin").status_code == 200
    for code, kind, flags in [
        ("SUM-HK", "market_summary", {"hot": True}),
        ("M-001", "member_sub", {"debits_must_not_exceed_credits": True}),
        ("M-002", "member_sub", {"debits_must_not_exceed_credits": True}),
    ]:
        r = client.post(
            "/ledger/accounts", json={"code": code, "kind": kind, "currency": "HKD", **flags}
        )
        assert r.status_code == 201, r.text
    return client


def test_transfer_idempotency_and_refusal(api):
    body = {
        "debit_account": "SUM-HK",
        "credit_account": "M-001",
        "amount": "1000.50",
        "currency": "HKD",
        "kind": "deposit",
    }
    first = api.post("/ledger/transfers", json=body, headers={"Idempotency-Key": "dep-001"})
    assert first.status_code == 201
    assert first.json()["amount"] == "1000.50"
    replay = api.post("/ledger/transfers", json=body, headers={"Idempotency-Key": "dep-001"})
    assert replay.status_code == 200 and replay.headers["idempotency-replayed"] == "true"
    assert replay.json()["id"] == first.json()["id"]
    conflict = api.post(
        "/ledger/transfers", json={**body, "amount": "1.00"}, headers={"Idempotency-Key": "dep-001"}
    )
    assert conflict.status_code == 409 and conflict.json()["code"] == "idempotency_conflict"
    too_much = api.post(
        "/ledger/transfers",
        json={
            "debit_account": "M-001",
            "credit_account": "M-002",
            "amount": "1000.51",
            "currency": "HKD",
        },
    )
    assert too_much.status_code == 422 and too_much.json()["code"] == "exceeds_credits"
    precise = api.post("/ledger/transfers", json={**body, "amount": "1.001"})
    assert precise.status_code == 422 and precise.json()["errors"][0]["field"] == "amount"
    refused = api.get("/ledger/refused").json()
    assert [r["code"] for r in refused["items"]] == ["exceeds_credits"]
    [attempt] = refused["items"]
    assert (attempt["requested_by"], attempt["debit_account"], attempt["credit_account"]) == (
        "admin", "M-001", "M-002",
    )  # fmt: skip
    assert (attempt["amount"], attempt["currency"]) == ("1000.51", "HKD")
    assert refused["next_after"] is None
    account = api.get("/ledger/accounts/M-001").json()
    assert (account["balance"], account["available"]) == ("1000.50", "1000.50")


def test_hold_post_partial_and_statement(api):
    api.post(
        "/ledger/transfers",
        json={
            "debit_account": "SUM-HK",
            "credit_account": "M-001",
            "amount": "500",
            "currency": "HKD",
        },
    )
    hold = api.post(
        "/ledger/transfers",
        json={
            "debit_account": "M-001",
            "credit_account": "SUM-HK",
            "amount": "200",
            "currency": "HKD",
            "pending": True,
        },
    ).json()
    assert hold["flag"] == "pending" and hold["pending_state"] == "pending"
    assert api.get("/ledger/accounts/M-001/balance").json()["available"] == "300.00"
    posted = api.post(f"/ledger/transfers/{hold['id']}/post", json={"amount": "150"})
    assert posted.status_code == 201 and posted.json()["amount"] == "150.00"
    again = api.post(f"/ledger/transfers/{hold['id']}/void", json={})
    assert again.json()["code"] == "pending_transfer_already_resolved"
    bal = api.get("/ledger/accounts/M-001/balance").json()
    assert (bal["balance"], bal["available"], bal["debits_pending"]) == ("350.00", "350.00", "0.00")
    day = posted.json()["business_date"]
    st = api.get(
        "/ledger/accounts/M-001/statement", params={"date_from": day, "date_to": day}
    ).json()
    assert (st["opening"], st["closing"]) == ("0.00", "350.00")
    assert [ln["balance"] for ln in st["lines"]] == ["500.00", "350.00"]
    rows = list(
        csv.reader(
            io.StringIO(
                api.get(
                    "/ledger/accounts/M-001/statement",
                    params={"date_from": day, "date_to": day, "format": "csv"},
                ).content.decode("utf-8-sig")
            )
        )
    )
    assert rows[1][2] == "opening" and rows[-1][6] == "350.00"
    page = api.get("/ledger/transfers", params={"account": "M-001", "limit": 2}).json()
    assert len(page["items"]) == 2 and page["next_after"]
    rest = api.get("/ledger/transfers", params={"account": "M-001", "after": page["next_after"]})
    assert len(rest.json()["items"]) == 1
    assert api.post("/ledger/verify").json() == {"ok": True, "violations": []}


def test_batch_and_freeze(api):
    items = [
        {"debit_account": "SUM-HK", "credit_account": "M-002", "amount": "1", "currency": "HKD"}
        for _ in range(20)
    ]
    items[5] = {
        "debit_account": "M-001",
        "credit_account": "M-002",
        "amount": "9",
        "currency": "HKD",
    }
    items[7] = {**items[0], "credit_account": "NOPE"}
    out = api.post("/ledger/transfers/batch", json={"transfers": items}).json()
    assert [(r["index"], r["code"]) for r in out if not r["ok"]] == [
        (5, "exceeds_credits"),
        (7, "account_not_found"),
    ]
    frozen = api.post(
        "/ledger/accounts/M-002/freezes",
        json={"kind": "debit", "reason_code": "COURT-ORDER", "legal_reference": "HCMP 1/2026"},
    )
    assert frozen.status_code == 201
    blocked = api.post(
        "/ledger/transfers",
        json={
            "debit_account": "M-002",
            "credit_account": "M-001",
            "amount": "1",
            "currency": "HKD",
        },
    )
    assert blocked.json()["code"] == "account_debit_frozen"
    released = api.post(f"/ledger/freezes/{frozen.json()['id']}/release", json={"reason": "lifted"})
    assert released.json()["released_at"] is not None
    audit = api.get("/audit", params={"action": "ledger."}).json()
    assert {"ledger.account_open", "ledger.freeze", "ledger.unfreeze"} <= {
        e["action"] for e in audit["items"]
    }


def test_a_batch_item_the_api_cannot_read_fails_its_whole_group(api):
    """An atomic group whose second leg names an unknown account, or carries a malformed
    amount: none of the group is booked, the other items are; the bad item says why, its
    partners say ``group_failed``; nothing is recorded as a refused attempt for them."""
    leg = {"debit_account": "SUM-HK", "credit_account": "M-001", "currency": "HKD"}
    items = [
        {**leg, "amount": "5.00", "group_id": "trade-1"},
        {**leg, "amount": "1.00"},  # not in a group
        {**leg, "credit_account": "NO-SUCH", "amount": "5.00", "group_id": "trade-1"},
        {**leg, "amount": "7.00", "group_id": "trade-2"},
        {**leg, "amount": "7.001", "group_id": "trade-2"},
        {**leg, "amount": "2.00", "group_id": "trade-3"},
    ]
    out = api.post("/ledger/transfers/batch", json={"transfers": items}).json()
    assert [(r["index"], r["ok"], r["code"]) for r in out] == [
        (0, False, "group_failed"),
        (1, True, None),
        (2, False, "account_not_found"),
        (3, False, "group_failed"),
        (4, False, "validation_failed"),
        (5, True, None),
    ]
    assert out[4]["detail"].startswith("amount:")
    booked = api.get("/ledger/transfers", params={"account": "M-001"}).json()["items"]
    assert sorted(t["amount"] for t in booked) == ["1.00", "2.00"]
    assert api.get("/ledger/refused").json()["items"] == []
    assert api.get("/ledger/accounts/M-001").json()["balance"] == "3.00"


def test_refused_attempts_filter_and_page_by_keyset(api, api_client, make_user, clock):
    make_user("olga", roles=["admin"])
    olga = api_client()
    assert olga.sign_in("olga").status_code == 200
    over = {"debit_account": "M-001", "credit_account": "M-002", "currency": "HKD"}
    for who, n in ((api, 3), (olga, 2)):
        for i in range(n):
            r = who.post("/ledger/transfers", json={**over, "amount": f"{i + 1}.00"})
            assert r.status_code == 422
    back = {**over, "debit_account": "M-002", "credit_account": "M-001", "amount": "9.00"}
    r = api.post("/ledger/transfers", json=back)
    assert r.status_code == 422
    everything = api.get("/ledger/refused").json()["items"]
    assert [r["requested_by"] for r in everything] == ["admin"] + ["olga"] * 2 + ["admin"] * 3
    first = api.get("/ledger/refused", params={"limit": 4}).json()
    assert [r["id"] for r in first["items"]] == [r["id"] for r in everything[:4]]
    rest = api.get("/ledger/refused", params={"limit": 4, "after": first["next_after"]}).json()
    assert [r["id"] for r in rest["items"]] == [r["id"] for r in everything[4:]]
    assert rest["next_after"] is None
    by_olga = api.get("/ledger/refused", params={"requested_by": "olga"}).json()["items"]
    assert [r["amount"] for r in by_olga] == ["2.00", "1.00"]
    from_m2 = api.get("/ledger/refused", params={"account": "M-001"}).json()["items"]
    assert len(from_m2) == 6  # M-001 on either side
    today = clock.now().date().isoformat()  # the local (Hong Kong) day
    assert len(api.get("/ledger/refused", params={"date_from": today}).json()["items"]) == 6
    assert api.get("/ledger/refused", params={"date_to": "2000-01-01"}).json()["items"] == []
    assert api.get("/ledger/refused", params={"account": "NOPE"}).status_code == 404


def test_api_transfers_book_in_one_round_trip_on_postgresql(api, monkeypatch):
    """On PostgreSQL an accepted API transfer — with or without an idempotency key, with
    accounts this process has or has not seen — is booked by the prepared one-round-trip
    call; only replays, conflicts and refusals take the engine's general path."""
    from django.db import connection

    from custodesk.ledger import engine
    from custodesk.ledger.engine import general as general_path

    if connection.vendor != "postgresql":
        pytest.skip("ledger_book_one is PostgreSQL's fast path")
    general: list[int] = []
    real = general_path.book_once
    monkeypatch.setattr(
        general_path,
        "book_once",
        lambda specs, **kw: general.append(len(specs)) or real(specs, **kw),
    )
    engine.clear_caches()  # the API's account cache too: codes travel to the function
    body = {"debit_account": "SUM-HK", "credit_account": "M-001", "amount": "5.00",
            "currency": "HKD"}  # fmt: skip
    assert api.post("/ledger/transfers", json=body).status_code == 201
    keyed = api.post("/ledger/transfers", json=body, headers={"Idempotency-Key": "rt-1"})
    assert keyed.status_code == 201 and general == []
    replay = api.post("/ledger/transfers", json=body, headers={"Idempotency-Key": "rt-1"})
    assert replay.status_code == 200 and general == [1]


def test_twenty_concurrent_requests_with_one_key_book_one_transfer(api):
    """A client that retries impatiently: 20 copies of one request at once, over 20
    connections.  One books (201); the other 19 get that same transfer back, marked as a
    replay; the money moved once."""
    body = {
        "debit_account": "SUM-HK",
        "credit_account": "M-001",
        "amount": "12.34",
        "currency": "HKD",
        "kind": "deposit",
    }
    start = threading.Barrier(20)

    def send(_: int):
        start.wait(timeout=30)
        return api.post("/ledger/transfers", json=body, headers={"Idempotency-Key": "dep-race"})

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(send, range(20)))

    assert sorted(a.status_code for a in answers) == [200] * 19 + [201], [
        (a.status_code, a.text[:200]) for a in answers if a.status_code not in (200, 201)
    ]
    assert len({a.json()["id"] for a in answers}) == 1
    replayed = [a.headers.get("idempotency-replayed") for a in answers]
    assert sorted(replayed, key=str) == [None] + ["true"] * 19
    listed = api.get("/ledger/transfers", params={"account": "M-001"}).json()["items"]
    assert [t["amount"] for t in listed] == ["12.34"]
    account = api.get("/ledger/accounts/M-001").json()
    assert account["balance"] == "12.34"


def test_a_batch_posts_and_voids_holds_beside_new_transfers(api):
    """A reviewer approves a day's withdrawals in one call: holds posted (in full or in
    part) and voided beside new transfers, a result per item; a hold named twice, an
    unknown one, or an item missing its fields is answered on its own; in an atomic group
    a failed resolution books nothing of the group."""
    fund = {"debit_account": "SUM-HK", "credit_account": "M-001", "amount": "1000.00",
            "currency": "HKD"}  # fmt: skip
    assert api.post("/ledger/transfers", json=fund).status_code == 201
    hold = {"debit_account": "M-001", "credit_account": "SUM-HK", "currency": "HKD",
            "pending": True}  # fmt: skip
    h1, h2, h3, h4 = (
        api.post("/ledger/transfers", json={**hold, "amount": a}).json()["id"]
        for a in ("100.00", "200.00", "50.00", "25.00")
    )
    items = [
        {"resolve": "post_pending", "pending_id": h1},
        {"resolve": "post_pending", "pending_id": h2, "amount": "150.00"},
        {"resolve": "void_pending", "pending_id": h3},
        {**fund, "amount": "5.00"},
        {"resolve": "post_pending", "pending_id": h1},  # the same hold again
        {"resolve": "post_pending", "pending_id": "0190d6a8-0000-7000-8000-000000000000"},
        {"debit_account": "SUM-HK", "currency": "HKD"},  # no credit account, no amount
        {"resolve": "void_pending", "pending_id": h4, "amount": "1.00"},
        {"resolve": "post_pending", "pending_id": h4, "group_id": "g"},
        {**fund, "amount": "999999.00", "debit_account": "M-002", "group_id": "g"},
    ]
    out = api.post("/ledger/transfers/batch", json={"transfers": items}).json()
    assert [(r["index"], r["ok"], r["code"]) for r in out] == [
        (0, True, None),
        (1, True, None),
        (2, True, None),
        (3, True, None),
        (4, False, "pending_transfer_already_resolved"),
        (5, False, "pending_transfer_not_found"),
        (6, False, "validation_failed"),
        (7, False, "validation_failed"),
        (8, False, "group_failed"),
        (9, False, "exceeds_credits"),
    ]
    assert out[1]["transfer"]["amount"] == "150.00"
    assert out[6]["detail"].startswith("credit_account:")
    states = {
        h: api.get(f"/ledger/transfers/{h}").json()["pending_state"] for h in (h1, h2, h3, h4)
    }
    assert states == {h1: "posted", h2: "posted", h3: "voided", h4: "pending"}
    bal = api.get("/ledger/accounts/M-001/balance").json()
    # 1,000 + 5 in; 100 + 150 out; 25 still held
    assert (bal["balance"], bal["debits_pending"], bal["available"]) == (
        "755.00", "25.00", "730.00",
    )  # fmt: skip
