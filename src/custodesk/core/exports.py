"""CSV and XLSX downloads of tabular data (X-EXPORT), one implementation for every list.

CSV is UTF-8 with a BOM so spreadsheet programs open Chinese text correctly; XLSX is
written with openpyxl's write-only workbook (constant memory for large exports).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")

# (column index, value) -> an Excel number format, or None
CellFormat = Callable[[int, Any], str | None]


def _csv_value(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, dt.date | dt.datetime):
        return v.isoformat()
    return v


def tabular_response(
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    fmt: str,
    filename: str,
    *,
    sheet: str = "data",
    cell_format: CellFormat | None = None,
) -> HttpResponse:
    """An attachment response: ``fmt`` "xlsx", anything else CSV; ``filename`` without suffix."""
    if fmt == "xlsx":
        wb = Workbook(write_only=True)
        ws = wb.create_sheet(sheet)
        ws.append(list(columns))
        for row in rows:
            if cell_format is None:
                ws.append(list(row))
                continue
            cells = []
            for i, value in enumerate(row):
                cell = WriteOnlyCell(ws, value=value)
                number_format = cell_format(i, value)
                if number_format:
                    cell.number_format = number_format
                cells.append(cell)
            ws.append(cells)
        buf = io.BytesIO()
        wb.save(buf)
        response = HttpResponse(buf.getvalue(), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
        return response
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_value(v) for v in row])
    response = HttpResponse(
        ("\ufeff" + out.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response
