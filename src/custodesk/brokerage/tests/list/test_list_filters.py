"""ACC-LIST: each filter with known data, combinations, sort, keyset pages, totals."""

from __future__ import annotations

from typing import Any

import pytest

from custodesk.brokerage.selectors import list as account_list
from custodesk.core.errors import PermissionDenied, ValidationFailed
from custodesk.testing.brokerage_list import ROWS, build

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(admin: Any, clock: Any) -> dict[str, Any]:
    return build(clock.now())


def numbers(admin: Any, **params: str) -> list[str]:
    page = account_list.account_page(actor=admin, params=params)
    return [r["number"] for r in page.rows]


ALL = sorted(r[0] for r in ROWS)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ALL),
        ({"number": "1000"}, ["100000001", "100000002", "100000003", "100000004"]),
        ({"number": "200000002"}, ["200000002"]),
        ({"name": "chan tai"}, ["100000001", "100000002"]),
        ({"name": "WONG"}, ["100000003", "200000002"]),
        ({"name": "大文"}, ["100000001", "100000002"]),
        ({"name": "陳"}, ["100000001", "100000002", "200000002"]),
        ({"name": "家欣"}, ["100000004"]),
        ({"name": "有限公司"}, ["200000001"]),
        ({"id_number": "A123456(3)"}, ["100000001", "100000002"]),
        ({"id_number": "a1234563"}, ["100000001", "100000002"]),
        ({"phone": "5123 4567"}, ["100000001", "100000002"]),
        ({"phone": "+86 138 1234 5678"}, ["100000004"]),
        ({"client_no": "C002"}, ["100000003"]),
        ({"status": "closed"}, ["100000004", "200000002"]),
        ({"frozen": "true"}, ["100000003"]),
        ({"frozen": "false"}, [n for n in ALL if n != "100000003"]),
        ({"client_status": "frozen"}, ["100000003"]),
        ({"type": "margin"}, ["100000002", "100000004"]),
        ({"client_kind": "corporate"}, ["200000001"]),
        ({"flag": "VIP"}, ["100000001", "100000003"]),
        ({"flag": "VIP,ESOP"}, ["100000001", "100000002", "100000003"]),
        ({"opened_from": "2020-01-01"}, ["100000001", "100000002", "200000001"]),
        ({"opened_to": "2018-12-31"}, ["100000004", "200000002"]),
        ({"opened_from": "2019-01-01", "opened_to": "2020-12-31"}, ["100000001", "100000003"]),
        # combinations: every filter narrows (AND)
        ({"name": "chan", "type": "cash"}, ["100000001", "200000002"]),
        ({"name": "chan", "type": "cash", "status": "active"}, ["100000001"]),
        ({"flag": "VIP", "frozen": "false", "opened_from": "2020-01-01"}, ["100000001"]),
        (
            {"client_status": "active", "status": "active", "type": "cash"},
            ["100000001", "200000001"],
        ),
        ({"name": "陳", "status": "closed", "client_kind": "joint"}, ["200000002"]),
        ({"phone": "+85251234567", "flag": "ESOP"}, ["100000002"]),
        ({"number": "2", "name": "wong"}, ["200000002"]),
    ],
)
def test_filter(book: Any, admin: Any, params: dict[str, str], expected: list[str]) -> None:
    assert numbers(admin, **params) == expected


def test_rows_carry_client_status_and_flags(book: Any, admin: Any) -> None:
    page = account_list.account_page(actor=admin, params={"number": "100000003"})
    (row,) = page.rows
    assert row["client_status"] == "frozen" and row["frozen"] is True
    assert [f["code"] for f in row["flags"]] == ["VIP"]
    assert row["flags"][0]["colour"] == "#aa0000"


@pytest.mark.parametrize(
    ("params", "field", "rule"),
    [
        ({"status": "sleeping"}, "status", "choice"),
        ({"frozen": "yes"}, "frozen", "choice"),
        ({"opened_from": "2020-13-01"}, "opened_from", "date"),
        (
            {"opened_from": "2021-01-01", "opened_to": "2020-01-01"},
            "opened_to",
            "after_opened_from",
        ),
        ({"phone": "not a phone"}, "phone", "phone"),
        ({"number": "12%"}, "number", "pattern"),
        ({"flag": "bad code!"}, "flag", "pattern"),
        ({"name": "x" * 101}, "name", "max_length"),
        ({"sort": "name"}, "sort", "choice"),
        ({"limit": "7"}, "limit", "choice"),
        ({"after": "garbage"}, "after", "cursor"),
    ],
)
def test_bad_filter_is_refused_naming_field_and_rule(
    book: Any, admin: Any, params: dict[str, str], field: str, rule: str
) -> None:
    with pytest.raises(ValidationFailed) as exc:
        account_list.account_page(actor=admin, params=params)
    assert (exc.value.errors[0].field, exc.value.errors[0].rule) == (field, rule)


def test_keyset_pages_cover_the_set_once_in_order(book: Any, admin: Any) -> None:
    for sort in ("number", "-number", "opened_on", "-opened_on"):
        seen: list[str] = []
        params: dict[str, str] = {"sort": sort, "limit": "20"}
        page = account_list.account_page(actor=admin, params=params)
        # pages of 20 over 6 rows: one page; force smaller pages through the cursor
        assert page.next_after is None and len(page.rows) == len(ROWS)
        rows = page.rows
        # walk with the cursor one row at a time
        cursor = account_list.encode_cursor(sort, _account(rows[0]["number"]))
        seen = [rows[0]["number"]]
        while True:
            nxt = account_list.account_page(actor=admin, params={**params, "after": cursor})
            if not nxt.rows:
                break
            seen.append(nxt.rows[0]["number"])
            cursor = account_list.encode_cursor(sort, _account(nxt.rows[0]["number"]))
        assert seen == [r["number"] for r in rows], sort
    by_opened = [
        r["number"]
        for r in account_list.account_page(actor=admin, params={"sort": "opened_on"}).rows
    ]
    assert by_opened[0] == "200000002" and by_opened[-1] == "200000001"


def _account(number: str) -> Any:
    from custodesk.brokerage.models import Account

    return Account.objects.get(number=number)


def test_total_is_capped(book: Any, admin: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    page = account_list.account_page(actor=admin, params={})
    assert (page.total, page.total_exact) == (len(ROWS), True)
    monkeypatch.setattr(account_list, "TOTAL_CAP", 4)
    page = account_list.account_page(actor=admin, params={})
    assert (page.total, page.total_exact) == (4, False)


def test_a_filter_registered_later_is_used(book: Any, admin: Any) -> None:
    f = account_list.ListFilter(
        "base_currency_test",
        "Currency",
        "text",
        lambda n, v: v.upper(),
        lambda qs, v: qs.filter(base_currency=v),
    )
    account_list.register_filter(f)
    try:
        assert numbers(admin, base_currency_test="usd") == []
        assert len(numbers(admin, base_currency_test="hkd")) == len(ROWS)
    finally:
        account_list._FILTERS.pop("base_currency_test")


def test_member_users_cannot_list(book: Any, make_user: Any, member_org: Any) -> None:
    outsider = make_user("outsider", organisation=member_org)
    with pytest.raises(PermissionDenied):
        account_list.account_page(actor=outsider, params={})


@pytest.mark.parametrize("params", [{}, {"flag": "VIP", "name": "陳", "sort": "-opened_on"}])
def test_export_sql_joins_the_flag_codes_once(book: Any, admin: Any, params: Any) -> None:
    from custodesk.brokerage.selectors import list_export

    sql, _params = list_export.export_sql(actor=admin, params=params)
    assert "LEFT JOIN (SELECT x.account_id, string_agg" in sql
    assert sql.index("LEFT JOIN (SELECT x.account_id") < sql.index(" ORDER BY ")
