"""Waiting for htmx the way a person would: after its answers have settled.

htmx swaps new content in at once but attaches its listeners (`hx-get` on a select,
for instance) only when it settles, about 20 ms later, when it also removes the
`htmx-added` class. A test that acts in that window changes a control nobody is
listening to yet; waiting for no request, swap or settle in progress closes it.
"""

from __future__ import annotations

from playwright.sync_api import Page, expect

BUSY = ".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added"


def settled(page: Page, timeout: float = 10_000) -> None:
    """Wait until no htmx request is in flight and every swap has settled."""
    expect(page.locator(BUSY)).to_have_count(0, timeout=timeout)
