"""The work-order batch import in the browser (WO-IMPORT): download nothing, upload a
small XLSX (one row invalid), watch the progress bar give way to the preview naming the
bad row and its reason, confirm, and see the orders created in one batch."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from custodesk.testing.brokerage import hkid, individual
from custodesk.testing.fixtures import PASSWORD
from custodesk.testing.workorder_imports import run_jobs, unused_number, xlsx
from custodesk.workorders.models import WorkOrder

pytestmark = pytest.mark.browser

HOME = re.compile(r"^https?://[^/]+/console/$")
DETAIL = re.compile(r"/console/workorders/imports/[0-9a-f-]{36}/$")


def sign_in(page: Page, username: str) -> None:
    page.goto("/console/sign-in/")
    form = page.get_by_test_id("sign-in-form")
    form.get_by_label("User name").fill(username)
    form.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        form.get_by_role("button", name="Sign in").click()
    page.wait_for_url(HOME)


def test_import_a_small_xlsx_preview_and_confirm(
    page: Page, admin: Any, clock: Any, shot: Callable[[Page, str], Any], tmp_path: Any
) -> None:
    clients = [individual(admin, now=clock.now(), id_number=hkid(700_000 + i)) for i in range(3)]
    path = tmp_path / "close-clients.xlsx"
    path.write_bytes(
        xlsx(
            [["註銷客戶", c.client_no, "普通", "客戶要求"] for c in clients]
            + [["註銷客戶", unused_number("client", 9_999_991), "普通", "客戶要求"]],
            language="zh-hant",
        )
    )

    sign_in(page, "admin")
    page.goto("/console/workorders/imports/")
    expect(page.get_by_test_id("template-zh-hans-xlsx")).to_be_visible()
    shot(page, "import-home")
    page.get_by_test_id("upload-form").locator("input[type=file]").set_input_files(str(path))
    with page.expect_navigation():
        page.get_by_test_id("upload").click()
    page.wait_for_url(DETAIL)
    expect(page.get_by_test_id("import-progress")).to_be_visible()
    shot(page, "checking")

    run_jobs()  # the worker checks the rows; the page polls and then reloads
    expect(page.get_by_test_id("import-status")).to_have_attribute("data-status", "validated")
    expect(page.get_by_test_id("valid-count")).to_have_text("3")
    expect(page.get_by_test_id("invalid-count")).to_have_text("1")
    bad = page.get_by_test_id("import-rows").locator("tr[data-row='5']")
    expect(bad).to_contain_text("No such client.")
    shot(page, "preview")

    with page.expect_navigation():
        page.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("import-progress")).to_be_visible()
    run_jobs()  # the worker creates the orders
    expect(page.get_by_test_id("import-status")).to_have_attribute("data-status", "done")
    expect(page.get_by_test_id("created-count")).to_have_text("3")
    shot(page, "done")

    orders = WorkOrder.objects.filter(channel="import")
    assert orders.count() == 3 and len(set(orders.values_list("batch_id", flat=True))) == 1
    assert set(orders.values_list("status", flat=True)) == {"submitted"}
