"""The work-order centre in the console (WO-CENTER, WO-NEW, WO-APPROVE): an operator
creates a freeze-account order from the account list's row menu; a second
administrator opens the centre, sees the pending orders under their tab, batch-selects
three and approves them; the result page shows each executed and the accounts frozen.
Data built through the services."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from custodesk.brokerage.models import Account
from custodesk.testing.brokerage import individual, open_account
from custodesk.testing.fixtures import PASSWORD
from custodesk.workorders import services
from custodesk.workorders.models import WorkOrder

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


def test_create_from_the_row_menu_then_batch_approve_three(
    page: Page,
    new_page: Callable[[], Page],
    admin: Any,
    make_user: Callable[..., Any],
    clock: Any,
    shot: Callable[[Page, str], Any],
) -> None:
    checker = make_user("checker", roles=["admin"])
    accounts = []
    for i in range(4):
        c = individual(admin, now=clock.now(), name_en=f"CLIENT {i}", phone=f"+8526123450{i}")
        accounts.append(open_account(admin, checker, c, now=clock.now()))
    for a in accounts[1:3]:
        services.order_create(actor=admin, kind="freeze_account", account_numbers=[a.number],
                              reason="AML review", now=clock.now())  # fmt: skip

    # the operator: a new order from the account list's row menu
    sign_in(page, "admin")
    page.goto("/console/brokerage/accounts/")
    row = page.get_by_test_id("accounts-table").locator("tr", has_text=accounts[0].number)
    row.locator("details.row-menu summary").click()
    row.get_by_test_id("row-workorder").click()
    page.get_by_test_id("kind-freeze_account").click()
    form = page.get_by_test_id("order-form")
    expect(form.get_by_label("Account number(s)")).to_have_value(accounts[0].number)
    form.get_by_label("Remark").fill("Court order 7")
    form.get_by_test_id("order-submit").click()
    expect(page.get_by_test_id("order-status")).to_have_text("Pending approval")
    shot(page, "created")

    # the checker: the centre, the pending tab, three selected, approved
    boss = new_page()
    sign_in(boss, "checker")
    boss.goto("/console/workorders/")
    expect(boss.get_by_test_id("kind-freeze_account")).to_contain_text("3")
    boss.get_by_test_id("status-submitted").click()
    numbers = list(WorkOrder.objects.order_by("number").values_list("number", flat=True))
    assert len(numbers) == 3
    for n in numbers:
        boss.get_by_test_id(f"select-{n}").check()
    shot(boss, "selected")
    boss.get_by_test_id("batch-approve").click()
    expect(boss.get_by_test_id("batch-summary")).to_have_text("3 of 3 done.")
    results = boss.get_by_test_id("batch-results")
    for n in numbers:
        expect(results.locator("tr", has_text=n)).to_contain_text("Executed")
    shot(boss, "approved")
    assert Account.objects.filter(frozen=True).count() == 3
    assert not Account.objects.get(pk=accounts[3].pk).frozen

    # the detail shows who approved, and the history
    boss.goto("/console/workorders/")
    boss.get_by_role("link", name=numbers[0]).click()
    expect(boss.get_by_test_id("approved-by")).to_contain_text("checker")
    expect(boss.get_by_test_id("order-history")).to_contain_text("execute")
