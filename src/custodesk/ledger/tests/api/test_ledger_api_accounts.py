"""The ledger API's account routes, reads and permissions over real HTTP: open, list, get,
balance now and as of a past moment, statement as XLSX, freezes listed with who placed
them, close with a reason, one transfer by id, verify; 401 without a token, 403 without
the permission, 422 naming the field."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

pytestmark = pytest.mark.django_db(transaction=True)

HKD = {"currency": "HKD"}


@pytest.fixture
def api(api_client, admin):
    client = api_client()
    assert client.sign_in("admin").status_code == 200
    for code, kind, extra in [
        ("SUM-HK", "market_summary", {"hot": True}),
        ("M-001", "member_sub", {"debits_must_not_exceed_credits": True, "name": "Alpha Ltd"}),
        ("M-002", "member_sub", {"debits_must_not_exceed_credits": True}),
    ]:
        r = client.post("/ledger/accounts", json={"code": code, "kind": kind, **HKD, **extra})
        assert r.status_code == 201, r.text
    return client


def move(api, debit: str, credit: str, amount: str) -> dict:
    r = api.post(
        "/ledger/transfers",
        json={"debit_account": debit, "credit_account": credit, "amount": amount, **HKD},
    )
    assert r.status_code == 201, r.text
    return r.json()


def test_open_list_and_get_accounts(api):
    dup = api.post("/ledger/accounts", json={"code": "M-001", "kind": "member_sub", **HKD})
    assert dup.status_code == 422 and dup.json()["errors"][0]["field"] == "code"
    bad = api.post(
        "/ledger/accounts", json={"code": "M-9", "kind": "member_sub", "currency": "XYZ"}
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "currency"
    listed = api.get("/ledger/accounts", params={"kind": "member_sub"}).json()
    assert [a["code"] for a in listed["items"]] == ["M-001", "M-002"]
    one = api.get("/ledger/accounts/M-001").json()
    assert (one["name"], one["status"], one["balance"]) == ("Alpha Ltd", "open", "0.00")
    assert api.get(f"/ledger/accounts/{one['id']}").json()["code"] == "M-001"  # by id too
    assert api.get("/ledger/accounts/NOPE").status_code == 404


def test_accounts_list_pages_by_account_number_and_keeps_to_its_limit(api):
    for code in ("M-003", "M-004"):
        r = api.post("/ledger/accounts", json={"code": code, "kind": "member_sub", **HKD})
        assert r.status_code == 201, r.text
    move(api, "SUM-HK", "M-003", "10.00")
    pages, after = [], None
    while True:
        params = {"limit": 2, **({"after": after} if after else {})}
        page = api.get("/ledger/accounts", params=params).json()
        pages.append([a["code"] for a in page["items"]])
        after = page["next_after"]
        if after is None:
            break
    assert pages == [["M-001", "M-002"], ["M-003", "M-004"], ["SUM-HK"]]
    listed = api.get("/ledger/accounts", params={"after": "M-002", "limit": 3}).json()["items"]
    # the list and the account's own answer come from one presenter
    for item in listed:
        assert item == api.get(f"/ledger/accounts/{item['code']}").json()
    assert [(a["code"], a["balance"]) for a in listed] == [
        ("M-003", "10.00"),
        ("M-004", "0.00"),
        ("SUM-HK", "-10.00"),  # a hot account: its shards counted for the page
    ]
    default = api.get("/ledger/accounts").json()
    assert len(default["items"]) == 5 and default["next_after"] is None
    for bad in (0, 1001):
        r = api.get("/ledger/accounts", params={"limit": bad})
        assert r.status_code == 422 and r.json()["errors"][0]["field"].endswith("limit")


def test_balance_as_of_a_past_moment_and_a_transfer_by_id(api, clock):
    first = move(api, "SUM-HK", "M-001", "100.00")
    before_second = clock.now()
    clock.advance(minutes=10)
    move(api, "SUM-HK", "M-001", "25.00")
    now = api.get("/ledger/accounts/M-001/balance").json()
    assert now["balance"] == "125.00"
    then = api.get(
        "/ledger/accounts/M-001/balance", params={"as_of": before_second.isoformat()}
    ).json()
    assert then["balance"] == "100.00"
    got = api.get(f"/ledger/transfers/{first['id']}").json()
    assert (got["debit_account"], got["credit_account"], got["amount"]) == (
        "SUM-HK", "M-001", "100.00",
    )  # fmt: skip
    assert api.get("/ledger/transfers/0190d6a8-0000-7000-8000-000000000000").status_code == 404


def test_statement_as_xlsx(api):
    t = move(api, "SUM-HK", "M-001", "1234.56")
    day = t["business_date"]
    r = api.get(
        "/ledger/accounts/M-001/statement",
        params={"date_from": day, "date_to": day, "format": "xlsx"},
    )
    assert r.status_code == 200
    assert r.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    sheet = load_workbook(io.BytesIO(r.content)).active
    assert sheet is not None
    _header, opening, line, closing = list(sheet.iter_rows(values_only=True))
    assert (opening[2], opening[6]) == ("opening", 0)
    assert (line[2], line[3], Decimal(str(line[5])), line[7]) == (
        "transfer", "SUM-HK", Decimal("1234.56"), t["id"],
    )  # fmt: skip
    assert (closing[2], Decimal(str(closing[6]))) == ("closing", Decimal("1234.56"))


def test_freezes_listed_with_who_placed_them_and_close_needs_zero(api):
    move(api, "SUM-HK", "M-002", "10.00")
    placed = api.post(
        "/ledger/accounts/M-002/freezes",
        json={"kind": "amount", "amount": "4.00", "reason_code": "MARGIN"},
    ).json()
    active = api.get("/ledger/accounts/M-002/freezes").json()
    assert [f["id"] for f in active] == [placed["id"]]
    assert api.get("/ledger/accounts/M-002/balance").json()["available"] == "6.00"
    api.post(f"/ledger/freezes/{placed['id']}/release", json={"reason": "paid"})
    assert api.get("/ledger/accounts/M-002/freezes").json() == []
    history = api.get("/ledger/accounts/M-002/freezes", params={"active": False}).json()
    assert [f["release_reason"] for f in history] == ["paid"]
    refused = api.post("/ledger/accounts/M-002/close", json={"reason": "member left"})
    assert refused.status_code == 409 and refused.json()["code"] == "account_has_balance"
    no_reason = api.post("/ledger/accounts/M-001/close", json={"reason": " "})
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "reason"
    closed = api.post("/ledger/accounts/M-001/close", json={"reason": "never used"})
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    r = api.post(
        "/ledger/transfers",
        json={"debit_account": "SUM-HK", "credit_account": "M-001", "amount": "1.00", **HKD},
    )
    assert r.status_code == 422 and r.json()["code"] == "account_closed"
    assert api.post("/ledger/verify").json() == {"ok": True, "violations": []}


def test_without_a_token_or_the_permission(api, api_client, make_user):
    anonymous = api_client()
    assert anonymous.get("/ledger/accounts").status_code == 401
    make_user("olive", roles=["operator"])
    olive = api_client()
    assert olive.sign_in("olive").status_code == 200
    for method, path, body in [
        ("GET", "/ledger/accounts", None),
        ("GET", "/ledger/transfers", None),
        ("POST", "/ledger/transfers", {"debit_account": "SUM-HK", "credit_account": "M-001",
                                       "amount": "1.00", **HKD}),
        ("POST", "/ledger/accounts/M-001/freezes", {"kind": "full", "reason_code": "X"}),
        ("POST", "/ledger/verify", None),
    ]:  # fmt: skip
        r = olive.request(method, path, json=body)
        assert r.status_code == 403 and r.json()["code"] == "permission_denied", (path, r.text)
    assert api.get("/ledger/transfers").json()["items"] == []
