"""One reader for both file formats: ``read(content, fmt)`` → the header row mapped to
column codes and an iterator of ``(row number, {column: text})``.

XLSX through openpyxl in read-only mode (rows streamed from the sheet's XML, never the
whole workbook in memory), CSV through the csv module (UTF-8 with or without BOM, else
GB18030 as saved by Excel in Chinese locales; comma, semicolon or tab).  Row numbers are
the spreadsheet's own (the header is row 1), so a clerk finds the row the preview names.
Blank rows are skipped.  Cells come back as stripped text: a number typed into a cell
(``100000017`` or ``1.00000017E8``) is its integer digits.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from custodesk.core.errors import ValidationFailed

from . import columns

# what a damaged or foreign zip makes openpyxl raise while it opens or streams a sheet
XLSX_BROKEN = (zipfile.BadZipFile, KeyError, ValueError, OSError, IndexError, TypeError,
               EOFError, SyntaxError)  # fmt: skip


def unreadable(rule: str, message: Any) -> ValidationFailed:
    return ValidationFailed.single("file", rule, message)


@dataclass
class Sheet:
    mapping: dict[int, str]  # cell position -> column code
    rows: Iterator[tuple[int, dict[str, str]]]


def detect_format(name: str, content: bytes) -> str:
    """``xlsx`` (a zip: the OOXML container) or ``csv``; refused otherwise."""
    if content[:4] == b"PK\x03\x04":
        return "xlsx"
    lower = name.lower()
    if lower.endswith((".xlsx", ".xlsm")):
        raise unreadable("format", _("The file is not a valid XLSX workbook."))
    if lower.endswith(".xls"):
        raise unreadable("format", _("Save the workbook as XLSX (the old XLS is not read)."))
    return "csv"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return " ".join(str(value).split()) if isinstance(value, str) else str(value).strip()


def _map_header(cells: list[Any]) -> dict[int, str]:
    mapping: dict[int, str] = {}
    for i, cell in enumerate(cells):
        code = columns.header_code(cell)
        if code is not None and code not in mapping.values():
            mapping[i] = code
    missing = [c.code for c in columns.COLUMNS if c.required and c.code not in mapping.values()]
    if missing:
        raise unreadable(
            "header",
            _("The first row must be the template's header row (missing: %(columns)s).")
            % {"columns": ", ".join(missing)},
        )
    return mapping


def _rows(
    cells_iter: Iterator[tuple[int, list[Any]]], mapping: dict[int, str]
) -> Iterator[tuple[int, dict[str, str]]]:
    for number, cells in cells_iter:
        row = {c.code: "" for c in columns.COLUMNS}
        for i, code in mapping.items():
            if i < len(cells):
                row[code] = _text(cells[i])
        extra = any(_text(c) for j, c in enumerate(cells) if j not in mapping)
        if not any(row.values()) and not extra:
            continue  # a blank row
        yield number, row


def _xlsx(content: bytes) -> Sheet:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        ws = wb.worksheets[0]
        it = ws.iter_rows(values_only=True)
        header = next(it, None)
    except XLSX_BROKEN as exc:
        raise unreadable("format", _("The file is not a valid XLSX workbook.")) from exc
    if header is None:
        raise unreadable("empty", _("The file is empty."))
    mapping = _map_header(list(header))

    def cells() -> Iterator[tuple[int, list[Any]]]:
        try:
            for number, values in enumerate(it, start=2):
                yield number, list(values)
        except XLSX_BROKEN as exc:
            raise unreadable("format", _("The file is not a valid XLSX workbook.")) from exc
        finally:
            wb.close()

    return Sheet(mapping, _rows(cells(), mapping))


def _decode(content: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise unreadable("encoding", _("Save the CSV file as UTF-8."))


def _csv(content: bytes) -> Sheet:
    text = _decode(content)
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise unreadable("format", _("The CSV file cannot be read.")) from exc
    if header is None:
        raise unreadable("empty", _("The file is empty."))
    mapping = _map_header(header)

    def cells() -> Iterator[tuple[int, list[Any]]]:
        try:
            # the record's number, as a spreadsheet shows it (a quoted cell may hold
            # line breaks: line numbers would drift)
            for number, values in enumerate(reader, start=2):
                yield number, list(values)
        except csv.Error as exc:
            raise unreadable("format", _("The CSV file cannot be read.")) from exc

    return Sheet(mapping, _rows(cells(), mapping))


def read(content: bytes, fmt: str) -> Sheet:
    """The file's header mapping and its rows.  Raises ValidationFailed (field ``file``:
    ``format``, ``encoding``, ``empty``, ``header``)."""
    return _xlsx(content) if fmt == "xlsx" else _csv(content)


def read_all(content: bytes, fmt: str) -> list[tuple[int, dict[str, str]]]:
    """Every row (at most ``MAX_ROWS``), else ValidationFailed ``file`` / ``max_rows``."""
    out: list[tuple[int, dict[str, str]]] = []
    for item in read(content, fmt).rows:
        out.append(item)
        if len(out) > columns.MAX_ROWS:
            raise unreadable(
                "max_rows",
                _("%(max)s rows at most in one file.") % {"max": f"{columns.MAX_ROWS:,}"},
            )
    if not out:
        raise unreadable("empty", _("The file has no rows under its header."))
    return out
