"""The Foundation journey in the console, end to end in a real browser.

Sign-in with a forced password change, the language switch, granting a role and
finding it in the operation records, forcing another user's session out, and the
sign-in lock-out after repeated wrong passwords.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from custodesk.testing.fixtures import PASSWORD
from custodesk.testing.governance import captcha_answer

pytestmark = pytest.mark.browser

NEW_PASSWORD = "Brand-New-Pass-77"
ORIGIN = r"^https?://[^/]+"
HOME = re.compile(ORIGIN + r"/console/$")
SIGN_IN = re.compile(ORIGIN + r"/console/sign-in/(\?.*)?$")
PASSWORD_PAGE = re.compile(ORIGIN + r"/console/password/$")


# -- helpers ---------------------------------------------------------------------
def fill_sign_in(page: Page, username: str, password: str) -> None:
    form = page.get_by_test_id("sign-in-form")
    form.get_by_label("User name").fill(username)
    form.get_by_label("Password").fill(password)
    if page.get_by_test_id("captcha-image").count():
        # a refused attempt came before: the captcha is read, as a person reads the image
        key = form.locator("input[name=captcha_key]").input_value()
        form.get_by_label("Characters in the image").fill(captcha_answer(key))
    # Every submit loads a new page (the form again, or a redirect): wait for it,
    # so that checks on the same text never pass against the previous page.
    with page.expect_navigation():
        form.get_by_role("button", name="Sign in").click()


def sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    """Sign in from the sign-in page and wait for the home page."""
    page.goto("/console/sign-in/")
    fill_sign_in(page, username, password)
    page.wait_for_url(HOME)
    expect(page.get_by_test_id("current-user")).to_contain_text(f"({username})")


def menu(page: Page) -> Any:
    return page.get_by_test_id("menu")


# -- 1. first sign-in: forced password change ---------------------------------------
def test_first_sign_in_forces_a_password_change(
    page: Page, make_user: Callable[..., Any], shot: Callable[[Page, str], Any]
) -> None:
    make_user("nina", roles=["auditor"], must_change_password=True)

    page.goto("/console/sign-in/")
    expect(page.get_by_test_id("sign-in-form")).to_be_visible()
    shot(page, "sign-in")

    fill_sign_in(page, "nina", PASSWORD)
    page.wait_for_url(PASSWORD_PAGE)
    expect(page.get_by_test_id("forced-password-notice")).to_be_visible()
    # Forced: the plain layout, no menu until the password is changed.
    expect(menu(page)).to_have_count(0)
    shot(page, "forced-password-change")

    # Any other console page sends her back to the password page.
    page.goto("/console/audit/")
    page.wait_for_url(PASSWORD_PAGE)

    form = page.get_by_test_id("password-form")
    form.get_by_label("Current password").fill(PASSWORD)
    form.get_by_label(re.compile(r"^New password(?! again)")).fill(NEW_PASSWORD)
    form.get_by_label("New password again").fill(NEW_PASSWORD)
    shot(page, "password-form-filled")
    with page.expect_navigation():
        form.get_by_role("button", name="Change password").click()

    # Still signed in: the session survives the user's own password change.
    expect(page).to_have_url(HOME)
    expect(page.get_by_role("status")).to_contain_text("Your password has been changed.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome, Nina")
    expect(menu(page)).to_contain_text("Records query")
    expect(menu(page)).to_contain_text("Operation records")
    shot(page, "home")

    # The new password is the one that works from now on.
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(SIGN_IN)
    fill_sign_in(page, "nina", PASSWORD)
    expect(page.get_by_test_id("form-errors")).to_contain_text(
        "The user name or password is not correct."
    )
    fill_sign_in(page, "nina", NEW_PASSWORD)
    page.wait_for_url(HOME)
    shot(page, "signed-in-with-new-password")


# -- 2. language switch ----------------------------------------------------------------
def test_language_switch_translates_the_menu(
    page: Page, make_user: Callable[..., Any], shot: Callable[[Page, str], Any]
) -> None:
    make_user("nina", roles=["auditor"])
    sign_in(page, "nina")
    expect(menu(page)).to_contain_text("Operation records")
    shot(page, "english")

    switch = page.get_by_test_id("language-switch")
    switch.get_by_role("button", name="繁體中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hant")
    expect(menu(page)).to_contain_text("記錄查詢")
    expect(menu(page)).to_contain_text("操作記錄")
    expect(menu(page)).not_to_contain_text("Operation records")
    expect(switch.get_by_role("button", name="繁體中文")).to_have_attribute("aria-pressed", "true")
    shot(page, "traditional-chinese")

    # The choice sticks across navigation (cookie), not only on the redirect.
    page.goto("/console/audit/")
    expect(menu(page)).to_contain_text("操作記錄")

    page.get_by_test_id("language-switch").get_by_role("button", name="简体中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(menu(page)).to_contain_text("操作记录")
    expect(menu(page)).not_to_contain_text("操作記錄")
    expect(menu(page)).not_to_contain_text("Operation records")
    shot(page, "simplified-chinese")

    page.get_by_test_id("language-switch").get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(menu(page)).to_contain_text("Operation records")
    shot(page, "english-again")


# -- 3. grant a role, find it in the operation records ---------------------------------
def test_admin_grants_a_role_and_finds_it_in_the_operation_records(
    page: Page, admin: Any, make_user: Callable[..., Any], shot: Callable[[Page, str], Any]
) -> None:
    make_user("bob")
    sign_in(page, "admin")

    menu(page).get_by_role("link", name="Users", exact=True).click()
    page.wait_for_url(re.compile(ORIGIN + r"/console/users/$"))
    users = page.get_by_test_id("users-table")
    expect(users).to_contain_text("bob")
    shot(page, "users")

    users.get_by_role("link", name="bob", exact=True).click()
    page.wait_for_url(re.compile(ORIGIN + r"/console/users/[0-9a-f-]{36}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bob")
    expect(page.get_by_test_id("grants-table")).to_contain_text("This user holds no role yet.")
    shot(page, "bob")

    grant = page.get_by_test_id("grant-form")
    grant.get_by_label("Grant role").select_option(label="Approver (checker) (approver)")
    shot(page, "grant-form-filled")
    grant.get_by_role("button", name="Grant").click()

    expect(page.get_by_role("status")).to_contain_text("The role has been granted.")
    grants = page.get_by_test_id("grants-table")
    row = grants.locator("tbody tr").filter(has=page.locator("code", has_text="approver"))
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Approver (checker)")
    expect(row).to_contain_text("admin")
    # Already held: no longer offered.
    expect(page.get_by_test_id("grant-form").locator("option")).not_to_contain_text(
        ["Approver (checker) (approver)"]
    )
    shot(page, "granted")

    page.goto("/console/audit/")
    expect(page.get_by_test_id("audit-table")).to_be_visible()
    shot(page, "operation-records")

    action = page.locator("form.filters").get_by_label("Action", exact=True)
    action.fill("role.grant")
    action.press("Enter")  # htmx swaps #results and pushes the filtered URL
    page.wait_for_url(re.compile(ORIGIN + r"/console/audit/\?.*action=role\.grant"))
    table = page.get_by_test_id("audit-table")
    entry = table.locator("tbody tr").filter(has_text="bob ← approver")
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text("role.grant")
    expect(entry).to_contain_text("admin")
    # Only role grants are listed.
    for code in table.locator("tbody tr td:nth-child(4) code").all_inner_texts():
        assert code == "role.grant"
    shot(page, "filtered")

    entry.get_by_role("link", name="Details").click()
    drawer = page.locator("#drawer").get_by_test_id("audit-detail")
    expect(drawer).to_be_visible()
    expect(page).to_have_url(re.compile(ORIGIN + r"/console/audit/\?"))  # stayed on the list
    expect(drawer).to_contain_text("role.grant")
    expect(drawer).to_contain_text("bob ← approver")
    before, after = drawer.locator(".diff pre").all()
    expect(before).to_contain_text('"roles"')
    expect(before).not_to_contain_text("approver")
    expect(after).to_contain_text("approver")
    shot(page, "details-drawer")

    drawer.get_by_role("button", name="Close").click()
    expect(page.get_by_test_id("audit-detail")).to_have_count(0)


# -- 4. force logout from the console ----------------------------------------------------
def test_admin_forces_another_users_session_out(
    new_page: Callable[[], Page],
    admin: Any,
    make_user: Callable[..., Any],
    shot: Callable[[Page, str], Any],
) -> None:
    make_user("bob")
    bob = new_page()  # context A
    sign_in(bob, "bob")
    shot(bob, "bob-signed-in")

    boss = new_page()  # context B
    sign_in(boss, "admin")
    boss.goto("/console/login-devices/")
    sessions = boss.get_by_test_id("sessions-table")
    bob_row = sessions.locator("tbody tr").filter(
        has=boss.get_by_role("cell", name="bob", exact=True)
    )
    expect(bob_row).to_have_count(1)
    own_row = sessions.locator("tbody tr").filter(
        has=boss.get_by_role("cell", name="admin", exact=True)
    )
    expect(own_row).to_contain_text("This session")
    shot(boss, "live-sessions")

    bob_row.get_by_role("link", name="Force logout").click()
    boss.wait_for_url(re.compile(ORIGIN + r"/console/sessions/[0-9a-f-]{36}/force-logout/\?back="))
    expect(boss.get_by_role("heading", level=1)).to_have_text("Force logout")
    shot(boss, "confirm")
    boss.get_by_test_id("confirm").click()

    boss.wait_for_url(re.compile(ORIGIN + r"/console/login-devices/$"))
    expect(boss.get_by_role("status")).to_contain_text("The session has been ended.")
    expect(
        boss.get_by_test_id("sessions-table")
        .locator("tbody tr")
        .filter(has=boss.get_by_role("cell", name="bob", exact=True))
    ).to_have_count(0)
    shot(boss, "session-ended")

    # Bob's next click lands on the sign-in page; he is anonymous again.
    bob.get_by_test_id("menu").get_by_role("link", name="My security").click()
    bob.wait_for_url(SIGN_IN)
    expect(bob.get_by_test_id("sign-in-form")).to_be_visible()
    shot(bob, "bob-signed-out")
    bob.goto("/console/")
    bob.wait_for_url(SIGN_IN)

    # The admin's own session is untouched.
    boss.goto("/console/")
    boss.wait_for_url(HOME)


# -- 5. wrong passwords and the lock-out ----------------------------------------------------
def test_wrong_passwords_lock_the_user_out_for_a_while(
    page: Page,
    make_user: Callable[..., Any],
    clock: Any,
    shot: Callable[[Page, str], Any],
) -> None:
    make_user("bob")
    page.goto("/console/sign-in/")

    fill_sign_in(page, "bob", "not-the-password")
    errors = page.get_by_test_id("form-errors")
    expect(errors).to_contain_text("The user name or password is not correct.")
    expect(page).to_have_url(SIGN_IN)
    expect(page.get_by_test_id("current-user")).to_have_count(0)
    # The user name is kept, the password is not echoed back.
    form = page.get_by_test_id("sign-in-form")
    expect(form.get_by_label("User name")).to_have_value("bob")
    expect(form.get_by_label("Password")).to_have_value("")
    # the next attempt asks for the captcha (django-simple-captcha's image, same origin)
    expect(page.get_by_test_id("captcha-image")).to_be_visible()
    shot(page, "wrong-password")

    for attempt in range(2, 6):
        fill_sign_in(page, "bob", f"wrong-{attempt}")
        expect(errors).to_contain_text("The user name or password is not correct.")

    # Five failures: even the right password is refused now, with the answer a wrong
    # password gets (the lock-out is not disclosed to whoever tries).
    fill_sign_in(page, "bob", PASSWORD)
    expect(errors).to_contain_text("The user name or password is not correct.")
    expect(page).to_have_url(SIGN_IN)
    expect(page.get_by_test_id("current-user")).to_have_count(0)
    shot(page, "locked-out")

    clock.advance(minutes=14)
    fill_sign_in(page, "bob", PASSWORD)
    expect(errors).to_contain_text("The user name or password is not correct.")
    expect(page.get_by_test_id("current-user")).to_have_count(0)

    clock.advance(minutes=2)  # 16 minutes after the lock-out (15 minutes)
    fill_sign_in(page, "bob", PASSWORD)
    page.wait_for_url(HOME)
    expect(page.get_by_test_id("current-user")).to_contain_text("(bob)")
    shot(page, "signed-in-after-lock-out")
