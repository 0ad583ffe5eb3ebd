"""PDF documents (statements, receipts) from HTML templates, with WeasyPrint (X-EXPORT).

Chinese renders with Debian's ``fonts-noto-cjk`` (installed by ``scripts/sysdeps.sh``),
found by WeasyPrint through fontconfig: the templates ask for :data:`FONT_STACK` by
family name, and the fonts actually used are subset and embedded in the PDF (the text
stays extractable: pdftotext, pypdf, copy and paste).  ReportLab cannot load the Noto
CJK fonts (OpenType CFF collections); WeasyPrint can.

**No network.**  A document is rendered from our own template and data only: the URL
fetcher answers ``data:`` URLs and refuses every other URL (``http``, ``https``,
``file``, ...) with :class:`ExternalResourceRefused`, which WeasyPrint logs and skips —
a stored text that smuggles in an ``<img src="http://...">`` can neither reach the
network nor read a local file.  Stylesheets belong inline in the template.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from functools import lru_cache
from typing import Any

from django.template.loader import render_to_string

PDF = "application/pdf"

# WeasyPrint tells every rendering step at INFO: not for our logs
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

# The CJK family first: its Latin glyphs are fine, and a mixed line keeps one look.
FONT_STACK = '"Noto Sans CJK SC", "Noto Sans CJK TC", "Noto Serif CJK SC", sans-serif'
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Serif CJK SC")


class ExternalResourceRefused(ValueError):
    """A document asked for a resource outside itself (refused)."""


class LocalOnlyFetcher:
    """WeasyPrint's URL fetcher, ``data:`` URLs only (they are the document itself);
    every other URL is refused and remembered in :attr:`refused`."""

    def __init__(self) -> None:
        from weasyprint.urls import URLFetcher

        self._data = URLFetcher(allowed_protocols={"data"}, allow_redirects=False)
        self._fail_on_errors = False  # WeasyPrint logs a refused resource and goes on
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> Any:
        if not url.startswith("data:"):
            self.refused.append(url)
            raise ExternalResourceRefused(f"external resource refused: {url[:80]}")
        return self._data.fetch(url, headers)

    def __call__(self, url: str) -> Any:
        return self.fetch(url)


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The file fontconfig picks for Chinese text when it is a Noto CJK font, else None
    (the fonts are missing: run ``scripts/sysdeps.sh``).  For the health report."""
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return None
    for family in CJK_FAMILIES:
        out = subprocess.run(  # a fixed program and arguments
            [fc_match, "--format=%{family}|%{file}", f"{family}:lang=zh-cn"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout
        found_family, _, path = out.partition("|")
        if family in found_family and path:
            return path
    return None


def html_to_pdf(html: str, *, fetcher: LocalOnlyFetcher | None = None) -> bytes:
    """The PDF of an HTML document (fonts by fontconfig, no outside resources)."""
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    fetcher = fetcher or LocalOnlyFetcher()
    document = HTML(string=html, url_fetcher=fetcher, base_url="data:,")
    out = document.write_pdf(font_config=FontConfiguration())
    assert out is not None
    return bytes(out)


def render_pdf(template_name: str, context: dict[str, Any]) -> bytes:
    """The PDF of a Django template (which extends ``core/pdf/base.html``)."""
    html = render_to_string(template_name, {"font_stack": FONT_STACK, **context})
    return html_to_pdf(html)
