"""API of the batch import (WO-IMPORT) and the batch unfreeze (WO-UNFREEZE), mounted at
``/api/v1/workorders/imports``.

    GET  /template?language=en&format=xlsx     the template (headers in that language)
    POST /                (multipart ``file``) upload: 201 a new import, 200 the earlier
                          import of the same file (``repeated``: true)
    GET  /{id}                                 status, counts, progress (poll it)
    GET  /{id}/rows?status=invalid&after=N     the rows with their errors, keyset pages
    GET  /{id}/errors?format=csv               the rows in error as a file
    POST /{id}/confirm                         create the valid rows' orders (202)
    POST /unfreeze        {targets, reason}    one unfreeze order per target, results
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.http import HttpRequest, StreamingHttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema

from custodesk.core import clock
from custodesk.core.apiauth import actor, auth
from custodesk.core.errors import ValidationFailed
from custodesk.core.exports import tabular_response
from custodesk.core.schema_types import Code, Input, Text, download

from .imports import columns, selectors, services, unfreeze

router = Router(auth=auth, tags=["work orders: import"])


class WorkOrderImportProgressOut(Schema):
    phase: str
    done: int
    total: int
    percent: int
    running: bool


class WorkOrderImportOut(Schema):
    id: str
    batch_id: str
    file_name: str
    format: str
    size: int
    sha256: str
    status: str
    status_label: str
    failure_reason: str
    rows_total: int
    valid: int
    invalid: int
    created: int
    not_created: int
    progress: WorkOrderImportProgressOut
    repeated: bool = False


class WorkOrderImportRowErrorOut(Schema):
    field: str
    field_label: str
    rule: str
    message: str


class WorkOrderImportRowOut(Schema):
    row: int
    kind: str
    kind_code: str
    target: str
    close_kind: str
    reason: str
    status: str
    order_number: str
    errors: list[WorkOrderImportRowErrorOut]


class WorkOrderImportRowPageOut(Schema):
    items: list[WorkOrderImportRowOut]
    next_after: int | None


class WorkOrderImportRowQuery(Input):
    status: Literal["", "valid", "invalid", "created", "failed"] = ""
    after: int = Field(0, ge=0, le=10_000_000)
    limit: int = Field(100, ge=1, le=500)


class WorkOrderUnfreezeIn(Input):
    targets: list[Annotated[Code, Field(max_length=16)]] = Field(
        ..., min_length=1, max_length=unfreeze.MAX_TARGETS
    )
    reason: Annotated[Text, Field(max_length=400)]


class WorkOrderUnfreezeResultOut(Schema):
    target: str
    ok: bool
    kind: str
    order_id: str
    order_number: str
    status: str
    code: str
    title: str


class WorkOrderUnfreezeOut(Schema):
    batch_id: str
    submitted: int
    results: list[WorkOrderUnfreezeResultOut]


def _out(b: Any, repeated: bool = False) -> dict[str, Any]:
    return {**selectors.batch_row(b), "repeated": repeated}


@router.get("/template", response={200: None}, openapi_extra=download())
def template(
    request: HttpRequest,
    language: Literal["en", "zh-hant", "zh-hans"] = "en",
    format: Literal["csv", "xlsx"] = "xlsx",
) -> StreamingHttpResponse:
    """The import template: its header row in ``language``; a header row in any of the
    three languages is accepted back."""
    header = selectors.template_headers(actor=actor(request), language=language)
    return tabular_response(header, [], format, f"workorder-import-{language}", sheet="import")


UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "additionalProperties": False,
                }
            }
        },
    }
}


@router.post(
    "/", response={200: WorkOrderImportOut, 201: WorkOrderImportOut}, openapi_extra=UPLOAD_BODY
)
def upload(request: HttpRequest) -> tuple[int, dict[str, Any]]:
    """Upload a CSV or XLSX file (multipart, field ``file``; 20 MB at most).  Its rows
    are checked in the background: poll ``GET /{id}`` until ``status`` is ``validated``
    (or ``failed``).  The same file again answers 200 with the earlier import."""
    try:
        files = request.FILES
    except MultiPartParserError:
        raise ValidationFailed.single(
            "file", "multipart", _("Send the file as multipart/form-data.")
        ) from None
    file = files.get("file")
    if file is None or len(files) != 1 or request.POST:
        raise ValidationFailed.single("file", "required", _("Choose a CSV or XLSX file."))
    if file.size is not None and file.size > columns.MAX_FILE_BYTES:
        raise ValidationFailed.single("file", "max_size", _("20 MB at most."))
    up = services.import_upload(
        actor=actor(request), name=file.name or "", content=file.read(), now=clock.now()
    )
    return (200 if up.repeated else 201), _out(up.batch, up.repeated)


@router.post("/unfreeze", response=WorkOrderUnfreezeOut)
def unfreeze_targets(request: HttpRequest, payload: WorkOrderUnfreezeIn) -> dict[str, Any]:
    """One unfreeze order per client (8 digits) or account (9 digits) number, all in one
    batch, each submitted to its approval flow; a result per target."""
    batch = unfreeze.unfreeze_many(
        actor=actor(request), targets=list(payload.targets), reason=payload.reason,
        now=clock.now(),
    )  # fmt: skip
    return {
        "batch_id": str(batch.batch_id),
        "submitted": batch.ok_count,
        "results": [r.__dict__ for r in batch.results],
    }


@router.get("/{import_id}", response=WorkOrderImportOut)
def get_import(request: HttpRequest, import_id: str) -> dict[str, Any]:
    return selectors.import_get(actor=actor(request), batch_id=import_id)


@router.get("/{import_id}/rows", response=WorkOrderImportRowPageOut)
def rows(request: HttpRequest, import_id: str, q: Query[WorkOrderImportRowQuery]) -> dict[str, Any]:
    return selectors.import_rows(
        actor=actor(request), batch_id=import_id, status=q.status, after=q.after, limit=q.limit
    )


@router.get("/{import_id}/errors", response={200: None}, openapi_extra=download())
def errors(
    request: HttpRequest, import_id: str, format: Literal["csv", "xlsx"] = "csv"
) -> StreamingHttpResponse:
    """The rows that are not orders (invalid, or refused at creation): row number, the
    row as written, field and reason — one line per error."""
    _b, lines = selectors.import_error_rows(actor=actor(request), batch_id=import_id)
    return tabular_response(selectors.report_header(), lines, format, "import-errors")


@router.post("/{import_id}/confirm", response={202: WorkOrderImportOut})
def confirm(request: HttpRequest, import_id: str) -> tuple[int, dict[str, Any]]:
    """Create the orders of the valid rows (background; poll ``GET /{id}``)."""
    b = services.import_confirm(actor=actor(request), batch_id=import_id, now=clock.now())
    return 202, _out(b)
