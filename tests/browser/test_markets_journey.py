"""A market officer's journey: a new trading market with its opening branch chosen in
the branch picker (htmx), approved by a second officer, then seen by the market's own
user, who sees no other market."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from custodesk.markets.models import Market
from custodesk.testing.fixtures import PASSWORD
from custodesk.testing.markets import create_market

from .htmx import settled

pytestmark = pytest.mark.browser

HOME = re.compile(r"^https?://[^/]+/console/$")


def sign_in(page: Page, username: str) -> None:
    page.goto("/console/sign-in/")
    form = page.get_by_test_id("sign-in-form")
    form.get_by_label("User name").fill(username)
    form.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        form.get_by_role("button", name="Sign in").click()
    page.wait_for_url(HOME)


def test_create_a_market_with_the_branch_picker(
    new_page: Callable[[], Page],
    admin: Any,
    make_user: Callable[..., Any],
    clock: Any,
    shot: Callable[[Page, str], Any],
) -> None:
    officer = make_user("olivia", roles=["market_officer"])
    create_market(admin, officer, now=clock.now(), code="SZEX", name="深圳前海商品交易所")
    page = new_page()
    sign_in(page, "admin")
    page.get_by_test_id("menu").get_by_role("link", name="Trading markets").click()
    expect(page.get_by_test_id("markets-table")).to_contain_text("SZEX")
    page.get_by_test_id("market-new").click()

    form = page.get_by_test_id("market-form")
    form.get_by_label("Market code").fill("GBCE")
    form.get_by_label("Market name").fill("粤港大宗商品交易中心")
    form.get_by_label("Summary account number").fill("3602000129200456781")
    form.get_by_label("Summary account name").fill("粤港大宗商品交易中心有限公司客户交易资金专户")
    picker = page.get_by_test_id("branch-picker")
    picker.get_by_test_id("bp-bank").select_option("102")
    settled(page)
    expect(picker.get_by_test_id("bp-results").locator("input[type=radio]").first).to_be_visible()
    picker.get_by_test_id("bp-province").select_option("广东省")
    settled(page)
    expect(picker.get_by_test_id("bp-city")).to_be_enabled()
    picker.get_by_test_id("bp-city").select_option("广州市")
    settled(page)
    results = page.get_by_test_id("branch-picker").get_by_test_id("bp-results")
    expect(results).to_contain_text("中国工商银行股份有限公司广州分行")
    expect(results).not_to_contain_text("深圳")
    shot(page, "picker")
    results.get_by_label(re.compile("中国工商银行股份有限公司广州分行")).check()
    form.get_by_label("CNY").check()
    form.get_by_label("HKD").check()
    form.get_by_label("B2B trade review").check()
    form.get_by_label("Service agreement title").fill("银商结算通服务协议")
    form.get_by_label("Service agreement text").fill("第一条 会员资金由银行存管。")
    form.get_by_label("Administrator's login name").fill("gbce.admin")
    form.get_by_label("Administrator's name").fill("陈志明")
    form.get_by_label("Administrator's e-mail").fill("gbce.admin@example.com")
    shot(page, "form")
    with page.expect_navigation():
        page.get_by_test_id("market-submit").click()
    expect(page.locator("body")).to_contain_text("Submitted for review.")
    shot(page, "submitted")

    checker = new_page()
    sign_in(checker, "olivia")
    checker.goto("/console/approvals/")
    checker.get_by_role("link", name=re.compile("Create trading market GBCE")).click()
    drawer = checker.get_by_test_id("approval-detail")
    with checker.expect_navigation():
        drawer.get_by_test_id("approve").click()
    expect(checker.get_by_test_id("approval-status")).to_contain_text("Approved and executed")

    market = Market.objects.get(code="GBCE")
    assert market.summary_bank == "中国工商银行股份有限公司广州分行"
    checker.goto(f"/console/markets/{market.public_id}/")
    expect(checker.get_by_test_id("market-accounts")).to_contain_text("MKT-GBCE-SUM-HKD")
    shot(checker, "detail")

    make_user("gbce.clerk", organisation=market.organisation, roles=["market_staff"])
    clerk = new_page()
    sign_in(clerk, "gbce.clerk")
    clerk.get_by_test_id("menu").get_by_role("link", name="My trading market").click()
    expect(clerk.locator("h1")).to_contain_text("粤港大宗商品交易中心")
    expect(clerk.get_by_test_id("market-edit")).to_have_count(0)
    shot(clerk, "own-market")
    szex = Market.objects.get(code="SZEX")
    response = clerk.goto(f"/console/markets/{szex.public_id}/")
    assert response is not None and response.status == 404
