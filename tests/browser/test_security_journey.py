"""Security in the console, in a real browser: the two-step sign-in (the password step
leaves only a signed proof behind), a refused page kept as a security event, and the
administrator finding it on the Security events page."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from playwright.sync_api import Page, expect

from custodesk.identity import services
from custodesk.testing.fixtures import PASSWORD, totp_code

pytestmark = pytest.mark.browser

ORIGIN = r"^https?://[^/]+"
HOME = re.compile(ORIGIN + r"/console/$")
CODE_PAGE = re.compile(ORIGIN + r"/console/sign-in/code/$")


def fill_sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    page.goto("/console/sign-in/")
    form = page.get_by_test_id("sign-in-form")
    form.get_by_label("User name").fill(username)
    form.get_by_label("Password").fill(password)
    with page.expect_navigation():
        form.get_by_role("button", name="Sign in").click()


def test_two_step_sign_in_keeps_no_password_between_the_steps(
    page: Page, make_user: Callable[..., Any], clock: Any, shot: Callable[[Page, str], Any]
) -> None:
    alice = make_user("alice")
    services.totp_begin(user=alice, now=clock.now())
    services.totp_confirm(user=alice, code=totp_code(alice), now=clock.now())

    fill_sign_in(page, "alice")
    page.wait_for_url(CODE_PAGE)
    stored = " ".join(str(s.get_decoded()) for s in Session.objects.all())
    assert PASSWORD not in stored and "'proof'" in stored
    shot(page, "code-page")
    page.get_by_label("Authenticator code").fill(totp_code(alice, steps_ahead=1))
    with page.expect_navigation():
        page.get_by_role("button", name="Verify").click()
    page.wait_for_url(HOME)
    expect(page.get_by_test_id("current-user")).to_contain_text("(alice)")


def test_a_refused_page_shows_up_in_the_security_events(
    new_page: Callable[[], Page],
    admin: Any,
    make_user: Callable[..., Any],
    shot: Callable[[Page, str], Any],
) -> None:
    make_user("olive", roles=["operator"])
    olive = new_page()
    fill_sign_in(olive, "olive")
    olive.wait_for_url(HOME)
    answer = olive.goto("/console/audit/")
    assert answer is not None and answer.status == 403
    assert answer.headers["cache-control"] == "no-store"

    boss = new_page()
    fill_sign_in(boss, "admin")
    boss.wait_for_url(HOME)
    boss.get_by_test_id("menu").get_by_role("link", name="Security events").click()
    table = boss.get_by_test_id("security-events-table")
    row = table.locator("tbody tr").first
    expect(row).to_contain_text("olive")
    expect(row).to_contain_text("Permission denied")
    expect(row).to_contain_text("audit.entry.view")
    expect(row).to_contain_text("GET /console/audit/")
    expect(row).to_contain_text("127.0.0.1")
    shot(boss, "security-events")
