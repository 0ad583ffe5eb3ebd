"""Maker–checker in the console: a second administrator works the approval inbox."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from custodesk.approvals import services as approvals
from custodesk.approvals.models import ApprovalRequest
from custodesk.identity.models import Role, RoleGrant
from custodesk.testing.fixtures import PASSWORD
from custodesk.testing.governance import set_dual_admin

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


@pytest.fixture
def three_pending(admin: Any, make_user: Callable[..., Any], clock: Any) -> list[Any]:
    make_user("admin2", roles=["admin"])
    users = [make_user(name) for name in ("bob", "carol", "dave")]
    set_dual_admin(
        actor=admin, organisation_id=admin.organisation.public_id, enabled=True, now=clock.now()
    )
    role = Role.objects.get(code="auditor")
    return [
        approvals.submit(
            actor=admin,
            action_type="identity.role_grant",
            payload={"user_id": str(u.public_id), "role_id": str(role.public_id)},
            comment="audit season",
            now=clock.now(),
        ).request
        for u in users
    ]


def test_second_admin_approves_one_and_batch_rejects_two(
    page: Page, three_pending: list[Any], shot: Callable[[Page, str], Any]
) -> None:
    sign_in(page, "admin2")
    badge = page.get_by_test_id("badge-approvals")
    expect(badge).to_contain_text("3")
    shot(page, "badge")

    badge.click()
    table = page.get_by_test_id("inbox-table")
    expect(table.locator("tbody tr")).to_have_count(3)
    shot(page, "inbox")

    # open bob's request in the drawer: the before/after preview, then approve
    table.get_by_role("link", name="Grant role auditor to bob").click()
    drawer = page.get_by_test_id("approval-detail")
    expect(drawer).to_be_visible()
    expect(drawer.get_by_test_id("preview-after")).to_contain_text("auditor")
    shot(page, "drawer")
    with page.expect_navigation():
        drawer.get_by_test_id("approve").click()
    expect(page.get_by_test_id("approval-status")).to_contain_text("Approved and executed")
    shot(page, "approved")
    assert RoleGrant.objects.filter(user__username="bob", role__code="auditor").exists()

    # back to the inbox: two left; select both and reject them with a reason
    page.goto("/console/approvals/")
    rows = page.get_by_test_id("inbox-table").locator("tbody tr")
    expect(rows).to_have_count(2)
    page.get_by_label("Select all").check()
    page.get_by_test_id("batch-reason").fill("Not needed this quarter")
    shot(page, "batch-selected")
    with page.expect_navigation():
        page.get_by_test_id("batch-reject").click()
    results = page.get_by_test_id("batch-results")
    expect(results.locator("tbody tr")).to_have_count(2)
    expect(page.get_by_test_id("batch-summary")).to_contain_text("2 of 2 done.")
    shot(page, "batch-result")

    statuses = dict(
        ApprovalRequest.objects.filter(pk__in=[r.pk for r in three_pending]).values_list(
            "summary", "status"
        )
    )
    assert statuses == {
        "Grant role auditor to bob": "approved",
        "Grant role auditor to carol": "rejected",
        "Grant role auditor to dave": "rejected",
    }
    assert set(
        ApprovalRequest.objects.filter(status="rejected").values_list("reject_reason", flat=True)
    ) == {"Not needed this quarter"}

    page.goto("/console/approvals/?box=done")
    expect(page.get_by_test_id("inbox-table").locator("tbody tr")).to_have_count(3)
    expect(page.get_by_test_id("badge-approvals")).to_contain_text("0")
    shot(page, "done-tab")


def test_initiator_can_withdraw_but_not_decide(
    page: Page, three_pending: list[Any], shot: Callable[[Page, str], Any]
) -> None:
    sign_in(page, "admin")
    page.goto(f"/console/approvals/{three_pending[0].public_id}/")
    detail = page.get_by_test_id("approval-detail")
    expect(detail.get_by_test_id("withdraw")).to_be_visible()
    expect(detail.get_by_test_id("approve")).to_have_count(0)
    shot(page, "initiator-view")
    page.goto("/console/approvals/?box=initiated&status=pending")
    expect(page.get_by_test_id("inbox-table").locator("tbody tr")).to_have_count(3)
    shot(page, "initiated-tab")
