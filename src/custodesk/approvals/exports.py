from __future__ import annotations

from collections.abc import Iterable

from django.http import StreamingHttpResponse
from django.utils import timezone

from custodesk.core.exports import tabular_response

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


def response(rows: Iterable[ApprovalRequest], fmt: str, name: str) -> StreamingHttpResponse:
    return tabular_response(COLUMNS, (_row(r) for r in rows), fmt, name, sheet="approvals")
