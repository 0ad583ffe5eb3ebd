"""The API docs (Swagger UI) work on a machine without internet, under the CSP.

Every request to a host other than the live server is aborted (as on a machine with
no network): the page must still list the ledger's operations, ask nothing of any
other host, and break no rule of the Content-Security-Policy.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import ConsoleMessage, Page, Request, Route, expect

pytestmark = pytest.mark.browser


def test_api_docs_list_the_ledger_operations_with_no_network(
    page: Page, base_url: str, shot: object
) -> None:
    local = urlsplit(base_url).netloc
    outside: list[str] = []
    console_errors: list[str] = []

    def only_local(route: Route, request: Request) -> None:
        if urlsplit(request.url).netloc == local or request.url.startswith("data:"):
            route.continue_()
        else:
            outside.append(request.url)
            route.abort("internetdisconnected")

    def on_console(msg: ConsoleMessage) -> None:
        if msg.type == "error":
            console_errors.append(msg.text)

    page.route("**/*", only_local)
    page.on("console", on_console)

    response = page.goto("/api/docs")
    assert response is not None and response.ok
    assert "script-src 'self'" in (response.headers.get("content-security-policy") or "")
    assert page.url.endswith("/api/v1/docs")

    expect(page.get_by_text("/api/v1/ledger/transfers", exact=True).first).to_be_visible()
    expect(page.get_by_text("Custodesk API").first).to_be_visible()
    shot(page, "api-docs-offline")  # type: ignore[operator]

    # the Swagger UI came from our static files, nothing from anywhere else
    assert outside == []
    assert not [e for e in console_errors if "Content Security Policy" in e], console_errors
