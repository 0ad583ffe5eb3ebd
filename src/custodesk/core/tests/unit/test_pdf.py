"""PDF documents: Chinese rendered with the Noto CJK fonts and extractable, no network."""

import io

import pytest
from django.template import engines
from pypdf import PdfReader

from custodesk.core import pdf

DOC = """{% extends "core/pdf/base.html" %}
{% block body %}<h1>{{ title }}</h1><p>{{ name }}</p>
<p class="num">{{ amount }}</p>{{ extra|safe }}{% endblock %}"""


def _text(data: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def _fonts(data: bytes) -> set[str]:
    names = set()
    for page in PdfReader(io.BytesIO(data)).pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]))
    return names


def _render(**context: object) -> bytes:
    html = engines["django"].from_string(DOC).render({"font_stack": pdf.FONT_STACK, **context})
    return pdf.html_to_pdf(html)


def test_chinese_text_renders_with_noto_cjk_and_can_be_extracted():
    data = _render(title="对账单 對帳單", name="上海示例贸易有限公司", amount="1,000.00 CNY")
    assert data.startswith(b"%PDF-")
    text = _text(data)
    assert "上海示例贸易有限公司" in text
    assert "對帳單" in text
    assert "1,000.00 CNY" in text
    fonts = _fonts(data)
    assert any("Noto-Sans-CJK" in f for f in fonts), fonts
    assert not any("DejaVu" in f for f in fonts), fonts  # no fallback font anywhere


def test_fontconfig_finds_a_noto_cjk_font():
    assert pdf.cjk_font() is not None


@pytest.mark.parametrize(
    "url",
    ["http://example.invalid/x.png", "https://example.invalid/x.css", "file:///etc/passwd"],
)
def test_outside_resources_are_refused(url: str):
    fetcher = pdf.LocalOnlyFetcher()
    with pytest.raises(pdf.ExternalResourceRefused):
        fetcher(url)
    assert fetcher.refused == [url]


def test_a_document_pointing_outside_renders_without_fetching():
    fetcher = pdf.LocalOnlyFetcher()
    extra = '<img src="http://127.0.0.1:9/leak.png"><link rel="stylesheet" href="file:///etc/x">'
    html = (
        engines["django"]
        .from_string(DOC)
        .render(
            {"font_stack": pdf.FONT_STACK, "title": "T", "name": "N", "amount": "1", "extra": extra}
        )
    )
    data = pdf.html_to_pdf(html, fetcher=fetcher)
    assert "N" in _text(data)
    assert sorted(fetcher.refused) == ["file:///etc/x", "http://127.0.0.1:9/leak.png"]


def test_render_pdf_from_a_template_name():
    data = pdf.render_pdf("core/pdf/base.html", {})
    assert data.startswith(b"%PDF-")
