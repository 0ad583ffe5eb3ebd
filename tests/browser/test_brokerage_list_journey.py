"""The account list in the console: find an account by its Chinese name, open its trading
permissions, change one (it goes to approval; a second administrator approves), freeze
the account and see its status change in the list; the records query shows the change.

The account detail page and its tabs, and the freeze form, are brokerage-core's pages:
until they are on this branch the freeze is submitted through the approval engine (the
same call the freeze form makes) and the list shows the result.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from custodesk.approvals import services as approvals
from custodesk.approvals.models import ApprovalRequest
from custodesk.brokerage.models import Account
from custodesk.testing.brokerage_list import build
from custodesk.testing.fixtures import PASSWORD

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


def test_find_by_chinese_name_change_permission_freeze(
    page: Page,
    admin: Any,
    make_user: Callable[..., Any],
    clock: Any,
    shot: Callable[[Page, str], Any],
) -> None:
    build(clock.now())
    checker = make_user("checker", roles=["admin"])
    sign_in(page, "admin")
    page.goto("/console/brokerage/accounts/")
    table = page.get_by_test_id("accounts-table")
    expect(table.locator("tbody tr")).to_have_count(6)
    shot(page, "list")

    page.get_by_test_id("filter-name").fill("大文")
    page.get_by_test_id("filter-submit").click()
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(page.get_by_test_id("total")).to_contain_text("2")
    row = table.locator("tr[data-account='100000002']")
    expect(row).to_contain_text("陳大文")
    shot(page, "found-by-chinese-name")

    # trading permissions: a margin product on the margin account
    row.get_by_test_id("row-rights").click()
    form = page.get_by_test_id("rights-form")
    form.get_by_test_id("enable-MARGIN_FIN").check()
    form.get_by_test_id("rights-reason").fill("margin agreement signed")
    form.get_by_test_id("rights-save").click()
    expect(page.get_by_role("status")).to_contain_text("Submitted for approval")
    shot(page, "permission-submitted")
    req = ApprovalRequest.objects.get(action_type="brokerage.trading_permissions_change")
    approvals.approve(actor=checker, request_id=req.public_id, now=clock.now())
    page.reload()
    expect(page.get_by_test_id("in-force-MARGIN_FIN")).to_contain_text("In force")
    shot(page, "permission-in-force")

    # a cash account refuses a margin product, with the rule on the page
    page.goto("/console/brokerage/accounts/100000001/trading-permissions/")
    form = page.get_by_test_id("rights-form")
    form.get_by_test_id("enable-MARGIN_FIN").check()
    form.get_by_test_id("rights-reason").fill("try")
    form.get_by_test_id("rights-save").click()
    expect(page.get_by_test_id("rights-error")).to_contain_text("margin")
    shot(page, "cash-account-refused")

    # freeze (brokerage-core's approvable action), approved by the second administrator
    account = Account.objects.get(number="100000002")
    sub = approvals.submit(
        actor=admin,
        action_type="brokerage.account_freeze",
        payload={"account_id": str(account.public_id), "reason": "court order"},
        now=clock.now(),
    )
    approvals.approve(actor=checker, request_id=sub.request.public_id, now=clock.now())
    page.goto("/console/brokerage/accounts/?frozen=true")
    frozen = page.get_by_test_id("accounts-table").locator("tr[data-account='100000002']")
    expect(frozen.get_by_test_id("account-frozen")).to_be_visible()
    shot(page, "frozen-in-list")

    page.goto("/console/brokerage/records/?account=100000002")
    records = page.get_by_test_id("records-table")
    expect(records).to_contain_text("brokerage.trading_permissions.change")
    expect(records).to_contain_text("checker")
    shot(page, "records")
