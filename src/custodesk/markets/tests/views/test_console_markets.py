"""Console pages of the trading markets (Django test client)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from custodesk.approvals.models import ApprovalRequest
from custodesk.banks.models import Branch
from custodesk.markets.models import Market
from custodesk.testing.fixtures import PASSWORD
from custodesk.testing.markets import create_market

pytestmark = pytest.mark.django_db


def sign_in(client: Client, username: str) -> None:
    r = client.post("/console/sign-in/", {"username": username, "password": PASSWORD})
    assert r.status_code == 302, r.content.decode()[:500]


def _form(**changes: Any) -> dict[str, Any]:
    branch = Branch.objects.filter(bank__code="104", city="上海市").first()
    assert branch is not None
    return {
        "code": "SHMX",
        "name": "沪港有色金属交易市场",
        "summary_account_no": "4367001230018822",
        "summary_account_name": "沪港有色金属交易市场有限公司资金存管专户",
        "summary_bank": "",
        "summary_branch_code": branch.code,
        "currencies": ["CNY", "USD"],
        "b2b_review": "on",
        "agreement_title": "银商结算通服务协议",
        "agreement_body": "第一条 ……",
        "admin_username": "shmx.admin",
        "admin_full_name": "王丽华",
        "admin_email": "shmx.admin@example.com",
        "admin_phone": "",
        "admin_language": "zh_Hans",
        **changes,
    }


def test_new_market_is_submitted_for_review(client: Client, admin: Any, officer: Any) -> None:
    sign_in(client, "admin")
    page = client.get("/console/markets/new/").content.decode()
    assert 'data-testid="branch-picker"' in page and "中国工商银行" in page
    r = client.post("/console/markets/new/", _form(), follow=True)
    assert "Submitted for review." in r.content.decode()
    req = ApprovalRequest.objects.get(action_type="markets.market_create")
    assert req.payload["summary_branch_code"] and req.payload["currencies"] == ["CNY", "USD"]
    assert not Market.objects.exists()


def test_bad_form_shows_the_rule_next_to_the_field(client: Client, admin: Any) -> None:
    sign_in(client, "admin")
    r = client.post(
        "/console/markets/new/",
        _form(code="sh", summary_account_no="abc", summary_branch_code="", summary_bank=""),
    )
    html = r.content.decode()
    assert r.status_code == 200
    assert "2–16 capital letters and digits" in html
    assert "8 to 32 digits" in html
    assert "This field is required." in html
    # the picker keeps what was being searched
    assert not ApprovalRequest.objects.filter(action_type="markets.market_create").exists()


def test_list_detail_and_status_pages(client: Client, admin: Any, officer: Any, clock: Any) -> None:
    market = create_market(admin, officer, now=clock.now())
    sign_in(client, "admin")
    listing = client.get("/console/markets/", {"status": "active"}).content.decode()
    assert 'data-market="GBCE"' in listing and "粤港大宗商品交易中心" in listing
    assert "Trading markets" in listing  # the menu entry
    empty = client.get("/console/markets/", {"q": "nothing"}).content.decode()
    assert "No trading markets match these filters." in empty
    detail = client.get(f"/console/markets/{market.public_id}/").content.decode()
    assert "MKT-GBCE-SUM-CNY" in detail and "MKT-GBCE-SUS-HKD" in detail
    assert 'data-testid="market-suspend"' in detail
    r = client.post(f"/console/markets/{market.public_id}/suspend/", {"reason": ""})
    assert "This field is required." in r.content.decode()
    r = client.post(f"/console/markets/{market.public_id}/suspend/", {"reason": "监管检查"})
    assert r.status_code == 302
    assert ApprovalRequest.objects.filter(action_type="markets.market_suspend").exists()
    assert client.get(f"/console/markets/{market.public_id}/frobnicate/").status_code == 404


def test_edit_form_starts_from_the_market(
    client: Client, admin: Any, officer: Any, clock: Any
) -> None:
    market = create_market(admin, officer, now=clock.now())
    sign_in(client, "admin")
    page = client.get(f"/console/markets/{market.public_id}/edit/").content.decode()
    assert 'value="4000023309200123456"' in page
    r = client.post(
        f"/console/markets/{market.public_id}/edit/",
        {
            "name": market.name,
            "summary_account_no": market.summary_account_no,
            "summary_account_name": market.summary_account_name,
            "summary_bank": market.summary_bank,
            "currencies": ["CNY"],
        },
    )
    assert "cannot be removed" in r.content.decode()


def test_publish_and_read_an_agreement(
    client: Client, admin: Any, officer: Any, clock: Any
) -> None:
    market = create_market(admin, officer, now=clock.now())
    sign_in(client, "admin")
    r = client.post(
        f"/console/markets/{market.public_id}/agreements/new/",
        {"title": "服务协议（2027版）", "body": "第一条\n第二条"},
    )
    assert r.status_code == 302
    page = client.get(f"/console/markets/{market.public_id}/agreements/2/").content.decode()
    assert "服务协议（2027版）" in page and "第二条" in page
    assert client.get(f"/console/markets/{market.public_id}/agreements/7/").status_code == 404


def test_market_user_sees_its_own_market_only(
    client: Client, admin: Any, officer: Any, make_user: Callable[..., Any], clock: Any
) -> None:
    gbce = create_market(admin, officer, now=clock.now())
    szex = create_market(admin, officer, now=clock.now(), code="SZEX")
    make_user("gbce.clerk", organisation=gbce.organisation, roles=["market_staff"])
    sign_in(client, "gbce.clerk")
    home = client.get("/console/").content.decode()
    assert "/console/markets/mine/" in home and "/console/markets/new/" not in home
    r = client.get("/console/markets/mine/")
    assert r["Location"] == f"/console/markets/{gbce.public_id}/"
    page = client.get(r["Location"]).content.decode()
    assert "粤港大宗商品交易中心" in page and 'data-testid="market-edit"' not in page
    assert client.get(f"/console/markets/{szex.public_id}/").status_code == 404
    assert client.get(f"/console/markets/{szex.public_id}/agreements/1/").status_code == 404
    assert client.get("/console/markets/new/").status_code == 403
    listing = client.get("/console/markets/").content.decode()
    assert 'data-market="GBCE"' in listing and 'data-market="SZEX"' not in listing
