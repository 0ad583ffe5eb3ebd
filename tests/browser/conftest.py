"""Browser tests: Playwright (sync API) driving Debian's chromium against the live server.

Every test here is marked ``browser``.  Screenshots go to
``test-artifacts/screenshots/<database>/<test name>-<NN>-<name>.png`` (kept by CI); a failing
test also leaves a ``<test name>-failure-<page>.png`` of every page it opened.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an event loop in the test thread; Django refuses ORM
# calls from a thread with a running loop unless told otherwise (scripts/test.sh
# exports it too).  Set before any fixture touches the database.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from django.db import connection
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

CHROMIUM = os.environ.get("CUSTODESK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1366, "height": 768}
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
DEFAULT_TIMEOUT_MS = 10_000

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def _safe(name: str) -> str:
    return _UNSAFE.sub("_", name).strip("_") or "test"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test collected under tests/browser (pytestmark in a conftest is not inherited)."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the item so fixtures can tell a failed test."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


# -- browser -------------------------------------------------------------------
@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def base_url(live_server: Any) -> str:
    return str(live_server.url)


@pytest.fixture
def new_page(
    browser: Browser, base_url: str, request: pytest.FixtureRequest
) -> Iterator[Callable[[], Page]]:
    """Factory of pages, each in its own browser context (own cookies: another user).

    On a failed test every page still open is screenshotted before it closes.
    """
    contexts: list[BrowserContext] = []

    def make() -> Page:
        context = browser.new_context(base_url=base_url, viewport=VIEWPORT, locale="en-US")
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        context.set_default_navigation_timeout(DEFAULT_TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make

    failed = any(
        getattr(getattr(request.node, f"rep_{when}", None), "failed", False)
        for when in ("setup", "call")
    )
    for index, context in enumerate(contexts, start=1):
        if failed:
            for number, page in enumerate(context.pages, start=1):
                suffix = f"-{number}" if number > 1 else ""
                name = f"{_safe(request.node.name)}-failure-{index}{suffix}.png"
                target = SCREENSHOTS / connection.vendor / name
                try:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(target), full_page=True)
                except Exception as exc:  # the page may be gone; never mask the failure
                    print(f"could not save failure screenshot {target}: {exc}")
        context.close()


@pytest.fixture
def page(new_page: Callable[[], Page]) -> Page:
    """A fresh page in a new context: viewport 1366x768, locale en-US."""
    return new_page()


# -- screenshots -----------------------------------------------------------------
class Shooter:
    """``shot(page, name)``: full-page screenshot numbered in the order taken."""

    def __init__(self, test_name: str) -> None:
        self.test_name = _safe(test_name)
        self.count = 0
        self.paths: list[Path] = []

    def __call__(self, page: Page, name: str) -> Path:
        self.count += 1
        name = f"{self.test_name}-{self.count:02d}-{_safe(name)}.png"
        target = SCREENSHOTS / connection.vendor / name
        target.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(target), full_page=True)
        self.paths.append(target)
        return target


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Shooter:
    return Shooter(request.node.name)
