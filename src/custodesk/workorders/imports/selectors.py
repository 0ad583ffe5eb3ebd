"""The import's reads: an import with its progress, its rows a page at a time (with the
errors worded in the reader's language), the invalid rows for the download."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from custodesk.core import access

from .. import permissions as perms
from . import columns, validate
from .models import ImportBatch, ImportRow
from .services import get_batch

PAGE_SIZE = 100
ROW_STATUSES = tuple(ImportRow.Status.values)


def batch_row(b: ImportBatch) -> dict[str, Any]:
    total = b.progress_total or 0
    return {
        "id": str(b.public_id),
        "batch_id": str(b.batch_id),
        "file_name": b.file_name,
        "format": b.file_format,
        "size": b.size,
        "sha256": b.sha256,
        "status": b.status,
        "status_label": str(ImportBatch.Status(b.status).label),
        "failure_reason": b.failure_reason,
        "rows_total": b.rows_total,
        "valid": b.valid_count,
        "invalid": b.invalid_count,
        "created": b.created_count,
        "not_created": b.failed_count,
        "progress": {
            "phase": "creation" if b.status in ("creating", "done") else "validation",
            "done": b.progress_done,
            "total": total,
            "percent": int(100 * b.progress_done / total) if total else 0,
            "running": b.status in ImportBatch.RUNNING,
        },
        "uploaded_at": b.uploaded_at,
        "uploaded_by": b.uploaded_by.username,
        "confirmed_at": b.confirmed_at,
        "finished_at": b.finished_at,
    }


def template_headers(*, actor: access.Principal, language: str) -> list[str]:
    """The template's header row in ``language`` (one of ``columns.LANGUAGES``)."""
    access.require(actor, perms.ORDER_VIEW)
    return columns.headers(language)


def import_get(*, actor: access.Principal, batch_id: uuid.UUID | str) -> dict[str, Any]:
    """Raises PermissionDenied, ImportNotFound."""
    access.require(actor, perms.ORDER_VIEW)
    return batch_row(get_batch(batch_id))


def imports_recent(*, actor: access.Principal, limit: int = 20) -> list[dict[str, Any]]:
    access.require(actor, perms.ORDER_VIEW)
    return [batch_row(b) for b in ImportBatch.objects.select_related("uploaded_by")[:limit]]


def row_dict(r: ImportRow) -> dict[str, Any]:
    return {
        "row": r.row_number,
        "kind": r.kind,
        "kind_code": r.kind_code,
        "target": r.target,
        "close_kind": r.close_kind,
        "reason": r.reason,
        "status": r.status,
        "status_label": str(ImportRow.Status(r.status).label),
        "order_number": r.order_number,
        "errors": [
            {
                "field": e["field"],
                "field_label": field_label(e["field"]),
                "rule": e["rule"],
                "message": message(e),
            }
            for e in r.errors
        ],
    }


def field_label(code: str) -> str:
    """A column's header in the reader's language (the code for anything else)."""
    for c in columns.COLUMNS:
        if c.code == code:
            return c.labels[file_language()]
    return code


def message(error: dict[str, Any]) -> str:
    if error.get("rule") == "refused":
        return _("Not created: %(detail)s") % {"detail": error["params"].get("detail", "")}
    return validate.message(error)


def import_rows(
    *,
    actor: access.Principal,
    batch_id: uuid.UUID | str,
    status: str = "",
    after: int = 0,
    limit: int = PAGE_SIZE,
) -> dict[str, Any]:
    """Rows after row number ``after`` (keyset), ``status`` one of the row statuses or
    "" for all; ``next_after`` is None on the last page."""
    access.require(actor, perms.ORDER_VIEW)
    b = get_batch(batch_id)
    qs = ImportRow.objects.filter(batch=b, row_number__gt=after)
    if status:
        qs = qs.filter(status=status)
    page = list(qs.order_by("row_number")[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return {
        "items": [row_dict(r) for r in page],
        "next_after": page[-1].row_number if more and page else None,
    }


def file_language() -> str:
    lang = (get_language() or "en").lower()
    return lang if lang in columns.LANGUAGES else "en"


def report_header() -> list[str]:
    return [
        _("Row"),
        *columns.headers(file_language()),
        _("Field"),
        _("Error"),
    ]


def import_error_rows(
    *, actor: access.Principal, batch_id: uuid.UUID | str
) -> tuple[ImportBatch, Iterator[list[Any]]]:
    """The rows that are not (or will not be) orders — invalid, or refused at creation —
    one line per error: row number, the row as written, the field and the reason."""
    access.require(actor, perms.ORDER_VIEW)
    b = get_batch(batch_id)

    def lines() -> Iterator[list[Any]]:
        qs = ImportRow.objects.filter(
            batch=b, status__in=(ImportRow.Status.INVALID, ImportRow.Status.FAILED)
        ).order_by("row_number")
        for r in qs.iterator(chunk_size=2_000):
            for e in r.errors:
                yield [
                    r.row_number,
                    r.kind,
                    r.target,
                    r.close_kind,
                    r.reason,
                    field_label(e["field"]),
                    message(e),
                ]

    return b, lines()
