"""The markets API over real HTTP: staff manage markets through the approval engine;
a market's own user reads its own market only (another market is 404)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from custodesk.markets.models import Market
from custodesk.testing.markets import create_market, market_payload

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def two_markets(admin: Any, officer: Any, clock: Any) -> tuple[Market, Market]:
    gbce = create_market(admin, officer, now=clock.now(), code="GBCE")
    szex = create_market(
        admin, officer, now=clock.now(), code="SZEX", name="深圳前海商品交易所", currencies=["CNY"]
    )
    return gbce, szex


@pytest.fixture
def market_user(make_user: Callable[..., Any], two_markets: tuple[Market, Market]) -> Any:
    return make_user("gbce.clerk", organisation=two_markets[0].organisation, roles=["market_staff"])


def _errors(response: Any) -> set[tuple[str, str]]:
    return {(e["field"], e["rule"]) for e in response.json().get("errors", [])}


def test_staff_creates_and_a_market_officer_approves(
    api_client: Callable[[], Any], admin: Any, officer: Any
) -> None:
    staff = api_client()
    staff.sign_in("admin")
    r = staff.post("/markets", json=market_payload("GBCE"))
    assert r.status_code == 202, r.text
    request_id = r.json()["request"]["id"]
    assert not Market.objects.filter(code="GBCE").exists()
    checker = api_client()
    checker.sign_in("olivia")
    r = checker.post(f"/approvals/requests/{request_id}/approve", json={})
    assert r.status_code == 200, r.text
    r = staff.get("/markets")
    (row,) = r.json()["items"]
    assert (row["code"], row["status"], row["currencies"]) == ("GBCE", "active", ["CNY", "HKD"])
    assert {a["currency"] for a in row["ledger_accounts"]} == {"CNY", "HKD"}
    assert row["agreement_version"] == 1
    detail = staff.get(f"/markets/{row['id']}").json()
    assert detail["summary_bank"] == "中国工商银行股份有限公司广州天河支行"
    # the temporary password of the market's administrator is in no answer
    assert "temporary_password" not in r.text + str(detail)


def test_edit_suspend_reactivate_and_agreements(
    api_client: Callable[[], Any], two_markets: tuple[Market, Market]
) -> None:
    gbce = two_markets[0]
    staff = api_client()
    staff.sign_in("admin")
    body = {
        "name": "粤港大宗商品交易中心",
        "summary_account_no": gbce.summary_account_no,
        "summary_account_name": gbce.summary_account_name,
        "summary_bank": gbce.summary_bank,
        "b2b_review": True,
        "currencies": ["CNY", "HKD"],
    }
    r = staff.put(f"/markets/{gbce.public_id}", json=body)
    assert r.status_code == 202 and r.json()["request"]["action_type"] == "markets.market_update"
    r = staff.post(f"/markets/{gbce.public_id}/suspend", json={"reason": ""})
    assert r.status_code == 422 and ("reason", "string_too_short") in _errors(r)
    r = staff.post(f"/markets/{gbce.public_id}/suspend", json={"reason": "监管检查"})
    assert r.status_code == 202
    r = staff.post(f"/markets/{gbce.public_id}/reactivate", json={})
    assert r.status_code == 409 and r.json()["code"] == "illegal_transition"
    r = staff.post(
        f"/markets/{gbce.public_id}/agreements", json={"title": "服务协议 2027", "body": "条款"}
    )
    assert r.status_code == 201 and r.json()["version"] == 2
    versions = staff.get(f"/markets/{gbce.public_id}/agreements").json()
    assert [v["version"] for v in versions] == [2, 1]
    text = staff.get(f"/markets/{gbce.public_id}/agreements/1").json()
    assert text["body"].startswith("《银商结算通服务协议》")
    assert staff.get(f"/markets/{gbce.public_id}/agreements/9").status_code == 404
    assert staff.get(f"/markets/{gbce.public_id}/agreements/99999999999").status_code == 422


def test_market_user_sees_its_own_market_only(
    api_client: Callable[[], Any], two_markets: tuple[Market, Market], market_user: Any
) -> None:
    gbce, szex = two_markets
    api = api_client()
    assert api.sign_in("gbce.clerk").status_code == 200
    r = api.get("/markets")
    assert [m["code"] for m in r.json()["items"]] == ["GBCE"]
    assert api.get(f"/markets/{gbce.public_id}").status_code == 200
    assert api.get(f"/markets/{gbce.public_id}/agreements").status_code == 200
    for path in ("", "/agreements", "/agreements/1"):
        r = api.get(f"/markets/{szex.public_id}{path}")
        assert r.status_code == 404, path
    # managing is for the bank's staff only
    r = api.post(f"/markets/{gbce.public_id}/suspend", json={"reason": "x"})
    assert r.status_code == 403
    r = api.post(f"/markets/{szex.public_id}/agreements", json={"title": "t", "body": "b"})
    assert r.status_code in (403, 404)
    assert api.post("/markets", json=market_payload("NEWM")).status_code == 403


def test_users_without_the_permission_are_refused(
    api_client: Callable[[], Any], make_user: Callable[..., Any], member_org: Any
) -> None:
    make_user("memberclerk", organisation=member_org)
    api = api_client()
    api.sign_in("memberclerk")
    assert api.get("/markets").status_code == 403


@pytest.mark.parametrize(
    ("changes", "field", "rule"),
    [
        ({"code": "gb"}, "code", "pattern"),
        ({"currencies": ["EUR"]}, "currencies.0", "literal_error"),
        ({"currencies": []}, "currencies", "too_short"),
        ({"summary_account_no": "12-34"}, "summary_account_no", "pattern"),
        ({"b2b_review": "yes"}, "b2b_review", "bool_type"),
        ({"unexpected": 1}, "unexpected", "extra_forbidden"),
        ({"admin_email": "", "admin_phone": ""}, "admin_email", "no_contact"),
    ],
)
def test_bad_input_is_a_problem_naming_the_field(
    api_client: Callable[[], Any], admin: Any, changes: dict[str, Any], field: str, rule: str
) -> None:
    api = api_client()
    api.sign_in("admin")
    r = api.post("/markets", json=market_payload("NEWM") | changes)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert (field, rule) in _errors(r), r.json()["errors"]
    assert not Market.objects.exists()


def test_duplicate_code_is_a_problem_naming_code(
    api_client: Callable[[], Any], two_markets: tuple[Market, Market]
) -> None:
    api = api_client()
    api.sign_in("admin")
    r = api.post("/markets", json=market_payload("GBCE", admin_username="other.admin"))
    assert r.status_code == 422 and ("code", "unique") in _errors(r)
    assert api.get("/markets/not-a-uuid").status_code == 422
    assert api.get("/markets/00000000-0000-0000-0000-000000000000").status_code == 404
