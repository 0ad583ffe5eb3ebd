from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook

from .models import ApprovalRequest
from .presenters import amount_text

COLUMNS = [
    "id",
    "action_type",
    "summary",
    "status",
    "level",
    "initiator",
    "amount",
    "currency",
    "submitted",
    "expires",
    "decided",
    "reject_reason",
]


def _row(r: ApprovalRequest) -> list[str]:
    def when(d: object) -> str:
        return timezone.localtime(d).isoformat() if d else ""  # type: ignore[arg-type]

    return [
        str(r.public_id),
        r.action_type,
        r.summary,
        r.status,
        f"{r.current_level}/{r.level_count}",
        r.initiator.username,
        amount_text(r) or "",
        r.currency,
        when(r.created_at),
        when(r.expires_at),
        when(r.decided_at),
        r.reject_reason,
    ]


def response(rows: Iterable[ApprovalRequest], fmt: str, name: str) -> HttpResponse:
    if fmt == "xlsx":
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("approvals")
        ws.append(COLUMNS)
        for r in rows:
            ws.append(_row(r))
        buf = io.BytesIO()
        wb.save(buf)
        resp = HttpResponse(
            buf.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        resp["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
        return resp
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(COLUMNS)
    for r in rows:
        w.writerow(_row(r))
    resp = HttpResponse(
        ("\ufeff" + out.getvalue()).encode(), content_type="text/csv; charset=utf-8"
    )
    resp["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return resp
