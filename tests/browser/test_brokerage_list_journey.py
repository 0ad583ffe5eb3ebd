"""The broker's account list in the console (ACC-LIST, ACC-DETAIL, ACC-PERM, ACC-SEC):
find an account by its client's Chinese name, open its detail and go through every tab,
change a trading permission (it waits for a second administrator, who approves), freeze
the account from the row menu (approved too) and see its status change — in the list,
on the detail page and in the records query.  Data built through the services."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from custodesk.approvals import services as approvals
from custodesk.approvals.models import ApprovalRequest
from custodesk.testing.brokerage import individual, open_account
from custodesk.testing.brokerage_list import ensure_catalogue
from custodesk.testing.fixtures import PASSWORD

pytestmark = pytest.mark.browser

HOME = re.compile(r"^https?://[^/]+/console/$")
TABS = ("assets", "operations", "devices", "agents", "related", "messages")


def sign_in(page: Page, username: str) -> None:
    page.goto("/console/sign-in/")
    form = page.get_by_test_id("sign-in-form")
    form.get_by_label("User name").fill(username)
    form.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        form.get_by_role("button", name="Sign in").click()
    page.wait_for_url(HOME)


def approve_pending(checker: Any, action_type: str, clock: Any) -> None:
    req = ApprovalRequest.objects.get(action_type=action_type, status="pending")
    assert approvals.approve(actor=checker, request_id=req.public_id, now=clock.now()).executed


def test_find_by_chinese_name_detail_tabs_permission_and_freeze(
    page: Page,
    admin: Any,
    make_user: Callable[..., Any],
    clock: Any,
    shot: Callable[[Page, str], Any],
) -> None:
    ensure_catalogue()  # the data migration's rows (a transactional test may have flushed them)
    checker = make_user("checker", roles=["admin"])
    chan = individual(admin, now=clock.now(), name_en="CHAN Tai Man", name_zh="陳大文")
    wong = individual(
        admin, now=clock.now(), name_en="WONG Siu Ming", name_zh="黃小明", phone="+85262345678"
    )
    account = open_account(admin, checker, chan, now=clock.now(), account_type="margin")
    open_account(admin, checker, wong, now=clock.now())
    number = account.number

    sign_in(page, "admin")
    page.goto("/console/brokerage/accounts/")
    table = page.get_by_test_id("accounts-table")
    expect(table.locator("tbody tr")).to_have_count(2)
    shot(page, "list")

    # 1. find the account by the Chinese name
    page.get_by_test_id("filter-name").fill("大文")
    page.get_by_test_id("filter-submit").click()
    expect(table.locator("tbody tr")).to_have_count(1)
    row = table.locator(f"tr[data-account='{number}']")
    expect(row).to_contain_text("陳大文")
    shot(page, "found-by-chinese-name")

    # 2. the detail, every tab
    row.get_by_test_id("row-detail").click()
    expect(page.get_by_test_id("detail-title")).to_contain_text("陳大文")
    for tab in TABS:
        page.get_by_test_id(f"tab-{tab}").click()
        expect(page.get_by_test_id(f"tab-body-{tab}")).to_be_visible()
        shot(page, f"tab-{tab}")

    # 3. a trading permission: margin financing on the margin account, approved
    page.goto("/console/brokerage/accounts/")
    page.get_by_test_id("filter-name").fill("大文")
    page.get_by_test_id("filter-submit").click()
    table.locator(f"tr[data-account='{number}']").get_by_test_id("row-rights").click()
    form = page.get_by_test_id("rights-form")
    form.get_by_test_id("enable-MARGIN_FIN").check()
    form.get_by_test_id("enable-HK_EQ").check()
    form.get_by_test_id("rights-reason").fill("margin agreement signed")
    form.get_by_test_id("rights-save").click()
    expect(page.get_by_role("status")).to_contain_text("Submitted for approval")
    expect(page.get_by_test_id("in-force-MARGIN_FIN")).not_to_contain_text("In force")
    shot(page, "permission-submitted")
    approve_pending(checker, "brokerage.trading_permissions_change", clock)
    page.reload()
    expect(page.get_by_test_id("in-force-MARGIN_FIN")).to_contain_text("In force")
    expect(page.get_by_test_id("in-force-HK_EQ")).to_contain_text("In force")
    shot(page, "permission-in-force")

    # 4. freeze from the row menu (…), approved; the status changes
    page.goto(f"/console/brokerage/accounts/?number={number}")
    row = page.get_by_test_id("accounts-table").locator(f"tr[data-account='{number}']")
    expect(row).not_to_contain_text("Frozen")
    row.locator("details.row-menu summary").click()
    row.get_by_test_id("row-freeze").click()
    action = page.get_by_test_id("action-form")
    action.get_by_label("Reason").fill("court order")
    action.get_by_test_id("confirm").click()
    shot(page, "freeze-submitted")
    approve_pending(checker, "brokerage.account_freeze", clock)
    page.goto(f"/console/brokerage/accounts/?number={number}")
    row = page.get_by_test_id("accounts-table").locator(f"tr[data-account='{number}']")
    expect(row.get_by_test_id("account-frozen")).to_be_visible()
    shot(page, "frozen-in-list")
    row.get_by_test_id("row-detail").click()
    expect(page.get_by_test_id(f"frozen-{number}")).to_be_visible()
    shot(page, "frozen-on-detail")

    # 5. the records query has both changes, with who approved them
    page.goto(f"/console/brokerage/records/?account={number}")
    records = page.get_by_test_id("records-table")
    expect(records).to_contain_text("brokerage.trading_permissions.change")
    expect(records).to_contain_text("checker")
    shot(page, "records")
