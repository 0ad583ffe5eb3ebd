"""An enterprise registers from the sign-in page (form, zip archive, confirmation, SMS
code), the bank counter reviews the application and approves it, and the new member's
administrator signs in for the first time with what the SMS said."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from custodesk.members.tests.helpers import credentials, delivered_sms, enterprise_fields
from custodesk.testing.fixtures import PASSWORD
from custodesk.testing.governance import delivered_code

pytestmark = pytest.mark.browser

HOME = re.compile(r"^https?://[^/]+/console/$")


def sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    page.goto("/console/sign-in/")
    form = page.get_by_test_id("sign-in-form")
    form.get_by_label("User name").fill(username)
    form.get_by_label("Password").fill(password)
    with page.expect_navigation():
        form.get_by_role("button", name="Sign in").click()


def documents() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("business_licence.pdf", b"%PDF-1.4 scan")
    return buffer.getvalue()


def test_enterprise_registration_and_counter_approval(
    new_page: Callable[[], Page],
    make_user: Callable[..., Any],
    clock: Any,
    shot: Callable[[Page, str], Any],
) -> None:
    make_user("counter1", roles=["counter"])
    fields = enterprise_fields(company_name="珠江贸易有限公司", desired_username="zhujiang.admin")

    page = new_page()
    page.goto("/console/sign-in/")
    page.get_by_test_id("public-links").get_by_role("link", name="Register").click()
    page.get_by_test_id("register-enterprise").click()
    form = page.get_by_test_id("enterprise-form")
    form.get_by_label("ID type").select_option("uscc")
    for name in ("id_number", "company_name", "legal_representative", "contact_name",
                 "mobile", "email", "address", "desired_username"):  # fmt: skip
        form.locator(f"[name={name}]").fill(fields[name])
    form.locator("[name=archive]").set_input_files(
        {"name": "documents.zip", "mimeType": "application/zip", "buffer": documents()}
    )
    shot(page, "form")
    with page.expect_navigation():
        form.get_by_role("button", name="Next").click()
    expect(page.get_by_test_id("confirm-values")).to_contain_text("珠江贸易有限公司")
    expect(page.get_by_test_id("confirm-values")).to_contain_text("documents.zip")
    clock.advance(seconds=61)
    with page.expect_navigation():
        page.get_by_test_id("send-code").click()
    code = delivered_code(fields["mobile"], clock=clock)
    page.get_by_label("SMS code").fill(code)
    shot(page, "confirm")
    with page.expect_navigation():
        page.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("done-enterprise")).to_be_visible()
    shot(page, "received")

    counter = new_page()
    sign_in(counter, "counter1")
    counter.wait_for_url(HOME)
    counter.get_by_test_id("menu").get_by_role("link", name="Registration applications").click()
    counter.get_by_role("link", name="珠江贸易有限公司").first.click()
    expect(counter.get_by_test_id("application-status")).to_have_text("Submitted")
    expect(counter.get_by_test_id("archive-link")).to_have_text("documents.zip")
    shot(counter, "review")
    with counter.expect_navigation():
        counter.get_by_test_id("approve").click()
    expect(counter.get_by_test_id("application-status")).to_have_text("Approved")
    shot(counter, "approved")
    body = counter.content()

    username, password = credentials(
        delivered_sms(fields["mobile"], "members.enterprise_approved", clock=clock)
    )
    assert username == "zhujiang.admin"
    assert username not in body and password not in body
    member = new_page()
    sign_in(member, username, password)
    member.wait_for_url(re.compile(r"/console/password/"))
    shot(member, "first-sign-in")


def test_individual_registration_with_the_branch_picker_and_another_card(
    page: Page, clock: Any, shot: Callable[[Page, str], Any]
) -> None:
    from custodesk.members.tests.helpers import BAD_CARD, GOOD_CARD, ensure_directory, ric

    ensure_directory()
    phone = "+8613900000002"

    def fill(card: str) -> None:
        form = page.get_by_test_id("individual-form")
        form.locator("[name=name]").fill("王芳")
        form.get_by_label("ID type").select_option("cn_ric")
        form.locator("[name=id_number]").fill(ric(3))
        form.locator("[name=card_number]").fill(card)
        form.locator("[name=phone]").fill(phone)
        picker = page.get_by_test_id("branch-picker")
        picker.get_by_test_id("bp-bank").select_option("102")
        results = picker.get_by_test_id("bp-results")
        expect(results.locator("input[type=radio]").first).to_be_visible()
        results.locator("input[type=radio]").first.check()

    def confirm() -> None:
        with page.expect_navigation():
            page.get_by_role("button", name="Next").click()
        clock.advance(seconds=61)
        with page.expect_navigation():
            page.get_by_test_id("send-code").click()
        page.get_by_label("SMS code").fill(delivered_code(phone, clock=clock))
        with page.expect_navigation():
            page.get_by_test_id("confirm").click()

    page.goto("/console/register/")
    page.get_by_test_id("register-individual").click()
    fill(BAD_CARD)
    shot(page, "form")
    confirm()
    expect(page.locator("body")).to_contain_text("name does not match")
    shot(page, "card-refused")
    page.locator("[name=card_number]").fill(GOOD_CARD)
    if not page.get_by_test_id("bp-results").locator("input:checked").count():
        fill(GOOD_CARD)
    confirm()
    expect(page.get_by_test_id("done-individual")).to_be_visible()
    shot(page, "registered")
