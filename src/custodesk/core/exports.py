"""CSV and XLSX downloads of tabular data (X-EXPORT), the one writer for every list.

Safe to open, whatever text is stored (docs/security.md, "Exports"):

- **No formula injection** (OWASP, CSV injection): a *text* cell that begins with ``=``,
  ``+``, ``-``, ``@``, tab or carriage return is written as text — in CSV with a single
  quote in front (``'=1+2``), in XLSX as a string cell marked "quote prefix" (the text
  itself unchanged, never a formula).  Numbers are not text: a negative amount stays a
  number in both formats.
- **Never fails on stored text**: characters an XLSX cell cannot hold (control characters
  other than tab, line feed and carriage return, NUL included) are replaced by U+FFFD in
  both formats; XLSX text is cut at Excel's 32,767 characters per cell, and its line
  ends are line feeds (XML reads a carriage return as one anyway).
- **Constant memory**: CSV is streamed as the rows are read; XLSX is written by
  openpyxl's write-only workbook into a temporary file, which is then streamed back.

CSV is UTF-8 with a BOM so spreadsheet programs open Chinese text correctly.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import IO, Any

from django.db.models import Func, TextField
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")

# What makes a spreadsheet program read a cell as a formula (OWASP, CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
REPLACEMENT = "\ufffd"
XLSX_MAX_TEXT = 32_767  # characters in one cell (Excel's limit)
CSV_CHUNK_ROWS = 500

# (column index, value) -> an Excel number format, or None
CellFormat = Callable[[int, Any], str | None]

_NUMBERS = (bool, int, float, decimal.Decimal)
_NOT_TEXT = (*_NUMBERS, dt.date, dt.time)  # dt.datetime is a dt.date


def clean_text(text: str) -> str:
    """``text`` with every character an XLSX cell cannot hold replaced by U+FFFD."""
    return ILLEGAL_CHARACTERS_RE.sub(REPLACEMENT, text)


def formula_like(text: str) -> bool:
    """Whether a spreadsheet program would take this text for a formula."""
    return text.startswith(FORMULA_START)


def csv_value(value: Any) -> Any:
    """One CSV field: text cleaned and neutralised; numbers as they are."""
    if value is None:
        return ""
    if isinstance(value, _NUMBERS):
        return value
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    text = clean_text(str(value))
    return "'" + text if formula_like(text) else text


def _xlsx_cell(ws: WriteOnlyWorksheet, value: Any, number_format: str | None) -> WriteOnlyCell:
    quote = False
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        value = timezone.localtime(value).replace(tzinfo=None)  # Excel has no time zones
    elif value is not None and not isinstance(value, _NOT_TEXT):
        value = clean_text(str(value))
        quote = formula_like(value)
        # XML reads a carriage return as a line feed: write what will be read
        value = value.replace("\r\n", "\n").replace("\r", "\n")
        if len(value) > XLSX_MAX_TEXT:
            value = value[: XLSX_MAX_TEXT - 1] + "…"
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # openpyxl would make "=..." a formula
        if quote:
            cell.quotePrefix = True  # stays text when the cell is edited
    if number_format:
        cell.number_format = number_format
    return cell


class _Line:
    """A file-like object whose ``write`` hands the line back (csv.writer → generator)."""

    def write(self, line: str) -> str:
        return line


def _csv_chunks(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    writer = csv.writer(_Line())
    yield ("\ufeff" + writer.writerow([csv_value(c) for c in columns])).encode("utf-8")
    chunk: list[str] = []
    for row in rows:
        chunk.append(writer.writerow([csv_value(v) for v in row]))
        if len(chunk) >= CSV_CHUNK_ROWS:
            yield "".join(chunk).encode("utf-8")
            chunk.clear()
    if chunk:
        yield "".join(chunk).encode("utf-8")


def _xlsx_file(
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    sheet: str,
    cell_format: CellFormat | None,
) -> IO[bytes]:
    """The workbook in an anonymous temporary file (deleted when closed), at its start."""
    # closed (and so deleted) by the FileResponse that streams it, or below on failure
    out = tempfile.TemporaryFile(prefix="custodesk-export-", suffix=".xlsx")  # noqa: SIM115
    try:
        wb = Workbook(write_only=True)
        ws = wb.create_sheet(sheet)
        ws.append([_xlsx_cell(ws, c, None) for c in columns])
        for row in rows:
            ws.append(
                [
                    _xlsx_cell(ws, value, cell_format(i, value) if cell_format else None)
                    for i, value in enumerate(row)
                ]
            )
        wb.save(out)
        out.seek(0)
    except BaseException:
        out.close()
        raise
    return out


def tabular_response(
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    fmt: str,
    filename: str,
    *,
    sheet: str = "data",
    cell_format: CellFormat | None = None,
) -> StreamingHttpResponse:
    """An attachment response: ``fmt`` "xlsx", anything else CSV; ``filename`` without suffix.

    ``rows`` is read once, lazily: for CSV while the answer is sent (pass an iterator,
    e.g. ``queryset.iterator()``, to keep memory constant), for XLSX before it is.
    """
    if fmt == "xlsx":
        return FileResponse(
            _xlsx_file(columns, rows, sheet, cell_format),
            content_type=XLSX,
            as_attachment=True,
            filename=f"{filename}.xlsx",
        )
    response = StreamingHttpResponse(
        _csv_chunks(columns, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


# -- PostgreSQL: the database writes the CSV (COPY) -----------------------------------
# For lists of a million rows: Python's per-cell work caps an export at some 20,000
# rows/s on a small machine, PostgreSQL's COPY writes several hundred thousand.  The
# rules above hold in SQL: ``CsvSafeText`` neutralises formula-like text (a quote in
# front) and replaces the control characters an XLSX cell cannot hold with U+FFFD, as
# ``csv_value`` does; the answer starts with the same BOM and header.  Differences a
# spreadsheet does not see: lines end with LF (csv.writer: CRLF) and an empty string is
# written ``""`` (NULL stays empty).
COPY_CHUNK_BYTES = 65_536
_CONTROL = "".join(chr(c) for c in range(1, 32) if chr(c) not in "\t\n\r")


class CsvSafeText(Func):
    """PostgreSQL: the text of ``expression`` as ``csv_value`` would write it."""

    output_field = TextField()

    def as_sql(self, compiler: Any, connection: Any, *args: Any, **extra: Any) -> Any:
        (expr,) = self.get_source_expressions()
        sql, params = compiler.compile(expr)
        starts = ", ".join("'" + c.replace("'", "''") + "'" for c in FORMULA_START)
        # CASE evaluates one branch only, and translate() (slow) runs only on text that has
        # a control character (a quick regular-expression test); tab and CR, which the
        # formula test looks at, are never translated, so the raw text tells the same
        raw = f"({sql})::text"
        text = (
            f"CASE WHEN {raw} ~ '[\\x01-\\x08\\x0b\\x0c\\x0e-\\x1f]'"
            f" THEN translate({raw}, %s, %s) ELSE {raw} END"
        )
        safe = (*params, *params, _CONTROL, REPLACEMENT * len(_CONTROL), *params)
        return (
            f"CASE WHEN left({raw}, 1) IN ({starts}) THEN '''' || {text} ELSE {text} END",
            (*params, *safe, *safe),
        )


def csv_copy_response(
    columns: Sequence[str], sql: str, params: Sequence[Any], filename: str
) -> StreamingHttpResponse:
    """Stream ``COPY (sql) TO STDOUT (FORMAT csv)`` (PostgreSQL only) as the CSV
    attachment ``filename``.csv, chunk by chunk as the database sends them (constant
    memory).  ``sql`` selects the columns in order, already made safe (``CsvSafeText``
    for text); ``params`` are bound on the client (COPY takes no server parameters)."""
    from django.db import connection
    from psycopg import ClientCursor

    def chunks() -> Iterator[bytes]:
        writer = csv.writer(_Line())
        yield ("\ufeff" + writer.writerow([csv_value(c) for c in columns])).encode("utf-8")
        connection.ensure_connection()
        raw = connection.connection
        with ClientCursor(raw) as cur:
            query = cur.mogrify(sql, list(params))
            with cur.copy(f"COPY ({query}) TO STDOUT (FORMAT csv)") as copy:
                buffer = bytearray()  # libpq hands over a row at a time: send ~64 KiB
                for data in copy:
                    buffer += data
                    if len(buffer) >= COPY_CHUNK_BYTES:
                        yield bytes(buffer)
                        buffer.clear()
                if buffer:
                    yield bytes(buffer)

    response = StreamingHttpResponse(chunks(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response
