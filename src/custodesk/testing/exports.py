"""Hostile text for the export tests (X-EXPORT), and reading the downloads back.

Each payload is stored as users would store it (through the services, where they take
it) and must come out of every CSV and XLSX download as inert text: no formula cell,
the text intact but for the characters an XLSX cell cannot hold (U+FFFD instead).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from django.db import connection
from openpyxl import load_workbook
from openpyxl.cell.cell import Cell

# payload -> (the text a CSV cell holds, the text an XLSX cell holds)
FORMULAS: dict[str, tuple[str, str]] = {
    '=HYPERLINK("http://evil.example/","x")': (
        '\'=HYPERLINK("http://evil.example/","x")',
        '=HYPERLINK("http://evil.example/","x")',
    ),
    "=1+2": ("'=1+2", "=1+2"),
    "+1+2": ("'+1+2", "+1+2"),
    "-2+3": ("'-2+3", "-2+3"),
    "@SUM(1+1)": ("'@SUM(1+1)", "@SUM(1+1)"),
    "\t=1+2": ("'\t=1+2", "\t=1+2"),
    "\r=1+2": ("'\r=1+2", "\n=1+2"),  # XML reads CR as LF
}
ILLEGAL: dict[str, tuple[str, str]] = {
    "bell\x07 escape\x1b vt\x0b end": (
        "bell\ufffd escape\ufffd vt\ufffd end",
        "bell\ufffd escape\ufffd vt\ufffd end",
    ),
    "\x1b=1+2": ("\ufffd=1+2", "\ufffd=1+2"),  # starts with U+FFFD once cleaned: not a formula
}
# PostgreSQL cannot store NUL in text at all; SQLite can (and did, X-EXPORT)
NUL: dict[str, tuple[str, str]] = {"nul\x00inside": ("nul\ufffdinside", "nul\ufffdinside")}


def payloads(*, max_length: int | None = None) -> dict[str, tuple[str, str]]:
    """Every payload this database can hold (NUL on SQLite only), optionally only those
    of at most ``max_length`` characters (a column's limit)."""
    found = {**FORMULAS, **ILLEGAL, **(NUL if connection.vendor == "sqlite" else {})}
    return {p: v for p, v in found.items() if max_length is None or len(p) <= max_length}


def csv_rows(body: bytes) -> list[list[str]]:
    text = body.decode("utf-8")
    assert text.startswith("\ufeff"), "CSV starts with a byte-order mark"
    return list(csv.reader(io.StringIO(text[1:], newline="")))


def xlsx_cells(body: bytes) -> list[list[Cell]]:
    sheet = load_workbook(io.BytesIO(body)).active
    assert sheet is not None
    return [list(row) for row in sheet.iter_rows()]


def formula_cells(rows: Iterable[Iterable[Any]]) -> list[str]:
    """Coordinates of every formula cell: there must be none."""
    return [c.coordinate for row in rows for c in row if c.data_type == "f"]
