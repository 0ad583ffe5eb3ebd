"""CSV and XLSX export of operation records (exactly what the filters select)."""

from __future__ import annotations

import json
from collections.abc import Iterable

from django.http import StreamingHttpResponse
from django.utils import timezone

from custodesk.core.exports import tabular_response

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


def response(entries: Iterable[AuditEntry], fmt: str) -> StreamingHttpResponse:
    return tabular_response(
        COLUMNS, (_row(e) for e in entries), fmt, "operation-records", sheet="operation records"
    )
