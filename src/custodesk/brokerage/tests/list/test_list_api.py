"""The API over real HTTP: list pages and the export agree (10,000 filtered rows), the
may-trade question (a frozen account), permission change (202), bulk flags, records."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from custodesk.brokerage.models import (
    Account,
    AccountPermission,
    Client,
    ClientAppLogin,
    TradingProduct,
)
from custodesk.testing.brokerage_list import build, bulk

pytestmark = pytest.mark.django_db(transaction=True)
API = "/brokerage"


@pytest.fixture
def api(admin: Any, api_client: Any) -> Any:
    client = api_client()
    assert client.sign_in("admin").status_code == 200
    return client


def test_export_of_10000_filtered_rows_matches_the_list(admin: Any, clock: Any, api: Any) -> None:
    build(clock.now())
    bulk(12_500, clock.now())
    params = {"number": "3", "status": "active"}  # 12,500 bulk accounts, every 5th closed
    listed: list[str] = []
    after = None
    while True:
        r = api.get(
            f"{API}/accounts",
            params={**params, "limit": "200", **({"after": after} if after else {})},
        )
        assert r.status_code == 200, r.text
        body = r.json()
        listed += [i["number"] for i in body["items"]]
        after = body["next_after"]
        if after is None:
            break
    assert len(listed) == 10_000 and len(set(listed)) == 10_000
    assert body["total"] == 200 and body["total_exact"] is False  # capped
    r = api.get(f"{API}/export/accounts", params={**params, "format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["account_number", "client_number", "name_en"]
    assert [row[0] for row in rows[1:]] == listed
    x = api.get(f"{API}/export/accounts", params={"name": "陳", "format": "xlsx"})
    assert x.status_code == 200 and x.content[:2] == b"PK"


def test_list_api_filters_and_refuses_bad_input(admin: Any, clock: Any, api: Any) -> None:
    build(clock.now())
    r = api.get(f"{API}/accounts", params={"name": "陳", "type": "cash"})
    assert [i["number"] for i in r.json()["items"]] == ["100000001", "200000002"]
    bad = api.get(f"{API}/accounts", params={"opened_from": "yesterday"})
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert "opened_from" in bad.text
    bad = api.get(f"{API}/export/accounts", params={"status": "nope"})
    assert bad.status_code == 422


def test_may_trade_answers_for_a_frozen_account(admin: Any, clock: Any, api: Any) -> None:
    book = build(clock.now())
    hk = TradingProduct.objects.get(code="HK_EQ")
    for number in ("100000001", "100000003"):
        AccountPermission.objects.create(
            account=book["accounts"][number], product=hk, enabled=True, changed_at=clock.now()
        )

    def ask(number: str, product: str = "HK_EQ", side: str = "buy") -> Any:
        return api.get(
            f"{API}/accounts/{number}/may-trade", params={"product": product, "side": side}
        )

    ok = ask("100000001").json()
    assert ok == {"allowed": True, "reason": "", "message": ""}
    frozen = ask("100000003", side="sell").json()  # account frozen (its client too)
    assert frozen["allowed"] is False and frozen["reason"] == "account_frozen"
    Account.objects.filter(number="100000003").update(frozen=False)
    assert ask("100000003").json()["reason"] == "client_frozen"
    assert ask("100000001", "US_EQ").json()["reason"] == "product_not_enabled"
    assert ask("100000001", "MARGIN_FIN").json()["reason"] == "account_type_unsupported"
    assert ask("100000004").json()["reason"] == "account_closed"
    ClientAppLogin.objects.create(
        client=Client.objects.get(client_no="C001"),
        login_name="c001",
        password="!",
        status="locked",
        created_at=clock.now(),
    )
    assert ask("100000001").json()["reason"] == "client_locked"
    assert ask("100000001", side="short").status_code == 422
    assert ask("999999999").status_code == 404
    assert ask("100000001", "NOPE").status_code == 404


def test_permission_change_over_api_waits_for_approval(admin: Any, clock: Any, api: Any) -> None:
    build(clock.now())
    r = api.post(
        f"{API}/accounts/100000002/trading-permissions",
        json={
            "changes": [{"product": "MARGIN_FIN", "enabled": True}],
            "reason": "margin agreement signed",
        },
    )
    assert r.status_code == 202, r.text
    assert r.json()["request"]["status"] == "pending"
    bad = api.post(
        f"{API}/accounts/100000001/trading-permissions",
        json={"changes": [{"product": "MARGIN_FIN", "enabled": True}], "reason": "x"},
    )
    assert bad.status_code == 422 and "account_type_unsupported" in bad.text
    rights = api.get(f"{API}/accounts/100000002/trading-permissions").json()
    assert {r["product"]: r["in_force"] for r in rights["rights"]}["MARGIN_FIN"] is False


def test_flags_and_records_over_api(admin: Any, clock: Any, api: Any) -> None:
    build(clock.now())
    r = api.post(
        f"{API}/flags",
        json={
            "code": "HOT",
            "name": "Hot",
            "name_hant": "熱",
            "name_hans": "热",
            "colour": "#ff0000",
        },
    )
    assert r.status_code == 201, r.text
    bad = api.post(
        f"{API}/flags",
        json={
            "code": "COLD",
            "name": "Cold",
            "name_hant": "冷",
            "name_hans": "冷",
            "colour": "blue",
        },
    )
    assert bad.status_code == 422 and "colour" in bad.text
    r = api.post(f"{API}/flags/HOT/set", json={"accounts": ["100000001", "100000009"]})
    assert r.json() == [
        {"account": "100000001", "outcome": "set"},
        {"account": "100000009", "outcome": "not_found"},
    ]
    listed = api.get(f"{API}/accounts", params={"flag": "HOT"}).json()["items"]
    assert [i["number"] for i in listed] == ["100000001"]
    ops = api.get(f"{API}/records/operations", params={"account": "100000001"}).json()["items"]
    assert [o["action"] for o in ops] == ["brokerage.account.flag_set"]
    assert ops[0]["person"] == "admin" and ops[0]["after"] == {"flags": ["HOT", "VIP"]}
    assert api.get(f"{API}/records/operations", params={"person": "nobody"}).json()["items"] == []
    staff = api.get(f"{API}/records/login-devices", params={"kind": "staff"}).json()["items"]
    assert staff and staff[0]["person"] == "admin"
    exp = api.get(f"{API}/records/operations/export", params={"action": "brokerage.flag"})
    assert exp.status_code == 200 and "brokerage.flag.create" in exp.content.decode("utf-8-sig")
    assert api.get(f"{API}/records/operations", params={"date_from": "x"}).status_code == 422


def test_export_is_safe_to_open_on_both_paths(admin: Any, clock: Any, api: Any) -> None:
    """PostgreSQL writes the CSV itself (COPY); SQLite through Python: the same cells."""
    book = build(clock.now())
    Client.objects.filter(client_no="C002").update(
        name_en='=HYPERLINK("http://x")', name_zh="黃\x01小明", id_number="@B7654321"
    )
    r = api.get(f"{API}/export/accounts", params={"number": "100000003", "format": "csv"})
    assert r.status_code == 200
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    header, row = rows[0], rows[1]
    cell = dict(zip(header, row, strict=True))
    assert cell["account_number"] == "100000003"
    assert cell["name_en"] == '\'=HYPERLINK("http://x")'
    assert cell["name_zh"] == "黃\ufffd小明"
    assert cell["id_number"] == "'@B7654321"
    assert cell["phone"] == "'+85262345678"
    assert cell["frozen"] == "True" and cell["opened_on"] == "2019-03-09"
    assert cell["flags"] == "VIP"
    assert book["accounts"]["100000003"].number == "100000003"
