"""The one export writer: formula-safe, never failing on stored text, streamed."""

import datetime as dt
from decimal import Decimal

from django.http import FileResponse, StreamingHttpResponse

from custodesk.core.exports import XLSX_MAX_TEXT, tabular_response
from custodesk.testing.exports import FORMULAS, ILLEGAL, NUL, csv_rows, formula_cells, xlsx_cells

COLUMNS = ["text", "amount"]
HOSTILE = {**FORMULAS, **ILLEGAL, **NUL}


def _rows() -> list[list[object]]:
    return [[payload, Decimal("-12.50")] for payload in HOSTILE]


def test_csv_quotes_formula_text_and_keeps_negative_numbers():
    response = tabular_response(COLUMNS, iter(_rows()), "csv", "hostile")
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Disposition"] == 'attachment; filename="hostile.csv"'
    header, *rows = csv_rows(response.getvalue())
    assert header == COLUMNS
    assert [r[0] for r in rows] == [csv_text for csv_text, _ in HOSTILE.values()]
    assert {r[1] for r in rows} == {"-12.50"}  # a number: no quote in front


def test_xlsx_has_no_formula_and_the_text_intact():
    response = tabular_response(COLUMNS, iter(_rows()), "xlsx", "hostile")
    assert isinstance(response, FileResponse)
    assert 'filename="hostile.xlsx"' in response["Content-Disposition"]
    header, *rows = xlsx_cells(response.getvalue())
    assert formula_cells(rows) == []
    assert [c.value for c in header] == COLUMNS
    assert [r[0].value for r in rows] == [xlsx_text for _, xlsx_text in HOSTILE.values()]
    assert all(r[0].data_type == "s" for r in rows)
    # formula-like text is marked "quote prefix": it stays text when edited in Excel
    marked = {r[0].value for r in rows if r[0].quotePrefix}
    assert marked == {xlsx_text for _, xlsx_text in FORMULAS.values()}
    assert {(r[1].data_type, r[1].value) for r in rows} == {("n", -12.5)}


def test_xlsx_cuts_text_at_the_cell_limit_and_drops_time_zones():
    long = "x" * (XLSX_MAX_TEXT + 10)
    at = dt.datetime(2026, 11, 23, 1, 35, tzinfo=dt.UTC)
    response = tabular_response(["text", "at"], [[long, at]], "xlsx", "edge")
    _, row = xlsx_cells(response.getvalue())
    assert len(row[0].value) == XLSX_MAX_TEXT and row[0].value.endswith("…")
    assert row[1].value == dt.datetime(2026, 11, 23, 9, 35)  # local time (Hong Kong)


def test_csv_is_streamed_in_chunks_as_rows_are_read():
    read: list[int] = []

    def rows():
        for i in range(1200):
            read.append(i)
            yield [f"row {i}", i]

    response = tabular_response(["text", "n"], rows(), "csv", "big")
    assert read == []  # nothing read before the answer is sent
    chunks = list(response.streaming_content)
    assert len(chunks) == 1 + 3  # header, then 500 + 500 + 200 rows
    assert len(read) == 1200
    assert csv_rows(b"".join(chunks))[-1] == ["row 1199", "1199"]
