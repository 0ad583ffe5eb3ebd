"""The outbox in the console, in a real browser: staff find a failing webhook among
the message records, give it up with a reason, and read a delivered SMS on the test
phone — the one place its temporary password shows; the records never show it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import transaction
from playwright.sync_api import Page, expect

from custodesk.notify import services
from custodesk.testing.fixtures import PASSWORD

pytestmark = pytest.mark.browser

ORIGIN = r"^https?://[^/]+"
TEMP_PASSWORD = "Tmp-Pw-5d2c8a3fMQ"


def sign_in(page: Page, username: str) -> None:
    page.goto("/console/sign-in/")
    form = page.get_by_test_id("sign-in-form")
    form.get_by_label("User name").fill(username)
    form.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        form.get_by_role("button", name="Sign in").click()


def test_staff_give_up_a_failing_webhook_and_read_the_test_phone(
    page: Page, admin: Any, clock: Any, shot: Any
) -> None:
    services.endpoint_save(actor=admin, code="hkex", url="http://127.0.0.1:9/closed",
                           secret="s" * 40, now=clock.now())  # fmt: skip
    with transaction.atomic():
        sms = services.enqueue(channel="sms", template="notify.credentials",
                               recipient="+85291234567", language="en",
                               context={"username": "amy"}, secrets={"password": TEMP_PASSWORD},
                               now=clock.now())  # fmt: skip
        hook = services.enqueue(channel="webhook", template="notify.test", recipient="hkex",
                                context={"note": "deposit"}, now=clock.now())  # fmt: skip
    assert services.deliver_due(clock=clock) == {"sent": 1, "failed": 1}

    sign_in(page, "admin")
    page.get_by_test_id("menu").get_by_role("link", name="Outbox messages").click()
    page.wait_for_url(re.compile(ORIGIN + r"/console/notify/messages/$"))
    table = page.get_by_test_id("message-table")
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table).not_to_contain_text(TEMP_PASSWORD)
    shot(page, "records")

    page.get_by_test_id("message-filters").get_by_label("Channel").select_option("webhook")
    page.wait_for_url(re.compile(ORIGIN + r"/console/notify/messages/\?.*channel=webhook"))
    row = page.get_by_test_id("message-table").locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Failed (will retry)")
    expect(row).to_contain_text("cannot reach the endpoint")
    shot(page, "failing-webhook")

    row.get_by_role("link").first.click()
    page.wait_for_url(re.compile(ORIGIN + rf"/console/notify/messages/{hook.public_id}/$"))
    page.get_by_test_id("give-up").click()
    form = page.get_by_test_id("confirm-form")
    form.get_by_label("Reason").fill("the market has moved its endpoint")
    shot(page, "give-up")
    with page.expect_navigation():
        form.get_by_test_id("confirm-give-up").click()
    expect(page.get_by_role("status")).to_contain_text("The message will not be tried again.")
    expect(page.get_by_test_id("message-summary")).to_contain_text("Gave up")

    page.goto("/console/notify/messages/")
    page.get_by_test_id("phone-link").click()
    phone = page.get_by_test_id("phone-table")
    expect(phone.locator(f'tr[data-delivery="{sms.public_id}"]')).to_contain_text(
        f"your temporary password is {TEMP_PASSWORD}"
    )
    shot(page, "test-phone")
