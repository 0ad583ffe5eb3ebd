"""Custody in the browser: an enterprise registers (a real zip), the bank counter approves,
its administrator signs in the first time (password change, authenticator), binds its
settlement account and signs a contract with a trading market; the reviewer's approval
puts it in force."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from custodesk.approvals import services as approvals
from custodesk.contracts.models import Contract
from custodesk.identity import services as identity
from custodesk.identity.models import Role, User
from custodesk.members.tests.helpers import (
    GOOD_CARD,
    credentials,
    delivered_sms,
    ensure_directory,
    enterprise_fields,
    real_zip,
)
from custodesk.testing.fixtures import PASSWORD, totp_code
from custodesk.testing.governance import delivered_code
from custodesk.testing.markets import create_market

pytestmark = pytest.mark.browser

MOBILE = "+8613800000001"
NEW = "Brand-New-Secret-77"


def sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    page.goto("/console/sign-in/")
    form = page.get_by_test_id("sign-in-form")
    form.get_by_label("User name").fill(username)
    form.get_by_label("Password").fill(password)
    with page.expect_navigation():
        form.get_by_role("button", name="Sign in").click()


@pytest.fixture
def setting(admin: Any, make_user: Callable[..., Any], clock: Any, transactional_db: Any) -> Any:
    ensure_directory()
    checker = make_user("checker", roles=["admin"])
    make_user("counter1", roles=["counter"])
    return create_market(admin, checker, now=clock.now(), currencies=["CNY"])


def test_enterprise_registers_signs_in_and_signs_a_contract(
    new_page: Callable[[], Page],
    setting: Any,
    clock: Any,
    tmp_path: Path,
    shot: Callable[[Page, str], Any],
) -> None:
    market = setting
    # 1. the public registration with the documents' zip
    page = new_page()
    page.goto("/console/register/")
    page.get_by_test_id("register-enterprise").click()
    fields = enterprise_fields()
    form = page.get_by_test_id("enterprise-form")
    form.locator("#id_id_type").select_option(fields.pop("id_type"))
    for name, value in fields.items():
        form.locator(f"#id_{name}").fill(value)
    archive = tmp_path / "documents.zip"
    archive.write_bytes(real_zip())
    form.locator("#id_archive").set_input_files(str(archive))
    shot(page, "registration-form")
    with page.expect_navigation():
        form.get_by_role("button", name="Next").click()
    confirm = page.get_by_test_id("confirm-form")
    clock.advance(seconds=61)
    with page.expect_navigation():
        confirm.get_by_test_id("send-code").click()
    page.get_by_test_id("confirm-form").locator("#id_sms_code").fill(
        delivered_code(MOBILE, clock=clock)
    )
    shot(page, "registration-confirm")
    with page.expect_navigation():
        page.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("done-enterprise")).to_be_visible()
    shot(page, "registration-done")

    # 2. the bank counter approves the application
    counter = new_page()
    sign_in(counter, "counter1")
    counter.goto("/console/counter/applications/")
    table = counter.get_by_test_id("applications-table")
    table.get_by_role("link", name="Pearl River Trading Co., Ltd.").first.click()
    shot(counter, "counter-application")
    with counter.expect_navigation():
        counter.get_by_test_id("approve").click()
    expect(counter.get_by_test_id("application-status")).to_contain_text("Approved")
    shot(counter, "counter-approved")
    username, temporary = credentials(
        delivered_sms(MOBILE, "members.enterprise_approved", clock=clock)
    )

    # 3. the first sign-in: the password change, then the authenticator
    sign_in(page, username, temporary)
    expect(page.get_by_test_id("forced-password-notice")).to_be_visible()
    pw = page.get_by_test_id("password-form")
    pw.locator("#id_current_password").fill(temporary)
    pw.locator("#id_new_password").fill(NEW)
    pw.locator("#id_new_password_again").fill(NEW)
    with page.expect_navigation():
        pw.get_by_role("button", name="Change password").click()
    page.goto("/console/security/")
    expect(page.get_by_test_id("totp-required")).to_be_visible()
    with page.expect_navigation():
        page.get_by_role("button", name="Enrol an authenticator").click()
    user = User.objects.get(username=username)
    page.get_by_label("Code from the app").fill(totp_code(user))
    shot(page, "authenticator")
    with page.expect_navigation():
        page.get_by_role("button", name="Confirm").click()

    # 4. the settlement account: a card in the company's name, with an SMS code
    page.goto("/console/custody/me/cards/")
    clock.advance(seconds=61)
    with page.expect_navigation():
        page.get_by_test_id("send-code").click()
    card = page.get_by_test_id("card-form")
    card.locator("#id_bank_code").select_option("102")
    card.locator("#id_card_number").fill(GOOD_CARD)
    card.locator("#id_phone").fill(MOBILE)
    card.locator("#id_sms_code").fill(delivered_code(MOBILE, clock=clock))
    with page.expect_navigation():
        page.get_by_test_id("card-submit").click()
    expect(page.get_by_test_id("cards-table")).to_contain_text(GOOD_CARD[-4:])
    shot(page, "bound-card")

    # 5. signing: the market, the member code, the card, the agreement
    page.get_by_test_id("menu").get_by_role("link", name="Sign a contract").click()
    shot(page, "markets")
    page.get_by_test_id(f"sign-{market.code}").click()
    expect(page.get_by_test_id("agreement")).to_contain_text("银商结算通")
    sign = page.get_by_test_id("sign-form")
    sign.locator("#id_member_code").fill("PR-001")
    sign.locator("#id_agreement_accepted").check()
    shot(page, "sign-form")
    with page.expect_navigation():
        page.get_by_test_id("sign-submit").click()
    expect(page.get_by_test_id("contract-requests")).to_contain_text("PR-001")
    shot(page, "submitted-for-review")

    # the enterprise's reviewer approves (the second pair of eyes)
    org = user.organisation
    reviewer, _ = identity.user_create(
        actor=user,
        organisation_id=None,
        username="pearl.reviewer",
        full_name="Reviewer",
        password=PASSWORD,
        must_change_password=False,
        now=clock.now(),
    )
    role = Role.objects.get(organisation=org, code="custody_reviewer")
    approvals.submit(
        actor=user,
        action_type="identity.role_grant",
        payload={"user_id": str(reviewer.public_id), "role_id": str(role.public_id)},
        now=clock.now(),
    )
    [pending] = [r for r in approvals_pending(reviewer, clock) if r.action_type == "contracts.sign"]
    approvals.approve(actor=reviewer, request_id=pending.public_id, now=clock.now())

    page.goto("/console/custody/contracts/")
    table = page.get_by_test_id("contracts-table")
    expect(table).to_contain_text("PR-001")
    table.get_by_role("link", name="Details").first.click()
    expect(page.get_by_test_id("sub-account")).to_contain_text(re.compile(r"SUB-GBCE-\d+"))
    shot(page, "contract-in-force")
    assert Contract.objects.get().status == "active"


def approvals_pending(user: Any, clock: Any) -> list[Any]:
    from custodesk.approvals import selectors

    return list(selectors.pending_for(user, now=clock.now()))
