"""CSV and XLSX export of operation records (exactly what the filters select)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable

from django.utils import timezone
from openpyxl import Workbook

from .models import AuditEntry

COLUMNS = [
    "seq",
    "at",
    "actor",
    "organisation",
    "roles",
    "channel",
    "ip",
    "request_id",
    "action",
    "object_type",
    "object_id",
    "object",
    "before",
    "after",
    "reason",
    "approval_request_id",
]


def _row(e: AuditEntry) -> list[str | int]:
    return [
        e.seq,
        timezone.localtime(e.at).isoformat(),
        e.actor_username,
        e.organisation_code,
        ",".join(e.roles or []),
        e.channel,
        e.ip,
        e.request_id,
        e.action,
        e.object_type,
        e.object_id,
        e.object_repr,
        "" if e.before is None else json.dumps(e.before, ensure_ascii=False, sort_keys=True),
        "" if e.after is None else json.dumps(e.after, ensure_ascii=False, sort_keys=True),
        e.reason,
        e.approval_request_id,
    ]


def to_csv(entries: Iterable[AuditEntry]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(COLUMNS)
    for e in entries:
        writer.writerow(_row(e))
    # BOM so that spreadsheet programs open Chinese text correctly.
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(entries: Iterable[AuditEntry]) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("operation records")
    ws.append(COLUMNS)
    for e in entries:
        ws.append(_row(e))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
