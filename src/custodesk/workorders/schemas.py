"""API schemas of the work-order centre; inputs refuse unknown fields and every string
is bounded (core.schema_types)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from uuid import UUID

from ninja import Field, Schema

from custodesk.core.schema_types import Code, Day, Input, OneOf, Text

from .models import WorkOrder

Number = Annotated[str, Field(min_length=1, max_length=16, pattern=r"^[0-9]+$")]
FieldValue = (
    bool | Annotated[Text, Field(max_length=400)] | list[Annotated[Text, Field(max_length=254)]]
)


class WorkOrderAttachmentIn(Input):
    name: Text = Field(min_length=1, max_length=200)
    content_type: Code = Field(min_length=1, max_length=100)
    content_base64: Code = Field(min_length=1, max_length=7_000_000)


class WorkOrderIn(Input):
    kind: Code = Field(min_length=1, max_length=32)
    client_no: Annotated[str, Field(max_length=16, pattern=r"^[0-9]*$")] = ""
    account_numbers: list[Number] = Field(default_factory=list, max_length=50)
    reason: Text = Field("", max_length=400)
    fields: dict[Annotated[Code, Field(max_length=32)], FieldValue] = Field(
        default_factory=dict, max_length=20
    )
    attachments: list[WorkOrderAttachmentIn] = Field(default_factory=list, max_length=5)
    submit: bool = True


class WorkOrderReasonIn(Input):
    reason: Text = Field(min_length=1, max_length=400)


class WorkOrderOptionalReasonIn(Input):
    reason: Text = Field("", max_length=400)


class WorkOrderCommentIn(Input):
    comment: Text = Field("", max_length=400)


class WorkOrderBatchIn(Input):
    order_ids: list[UUID] = Field(min_length=1, max_length=500)
    decision: Annotated[str, OneOf(["approve", "reject"])]
    reason: Text = Field("", max_length=400)


class WorkOrderFilters(Schema):
    kind: Code | None = Field(None, max_length=32)
    status: Annotated[str, OneOf(WorkOrder.Status)] | None = None
    target: Annotated[str, Field(max_length=16, pattern=r"^[0-9]*$")] | None = None
    creator: Text | None = Field(None, max_length=150)
    date_from: Day | None = None
    date_to: Day | None = None
    batch_id: UUID | None = None


class WorkOrderHistoryOut(Schema):
    at: dt.datetime
    action: str
    actor: str | None
    from_status: str
    to_status: str
    comment: str


class WorkOrderAttachmentOut(Schema):
    id: UUID
    name: str
    content_type: str
    size: int
    sha256: str


class WorkOrderMessageOut(Schema):
    delivery_id: UUID
    channel: str
    template: str
    recipient: str
    language: str
    status: str
    status_label: str
    attempts: int
    created_at: dt.datetime
    sent_at: dt.datetime | None
    gave_up_at: dt.datetime | None
    last_error: str


class WorkOrderOut(Schema):
    id: UUID
    number: str
    kind: str
    kind_label: str
    client_no: str
    client_name: str
    accounts: list[str]
    reason: str
    status: str
    status_label: str
    channel: str
    batch_id: UUID | None
    creator: str
    created_at: dt.datetime
    approved_by: str | None
    approved_at: dt.datetime | None
    executed_at: dt.datetime | None
    reject_reason: str
    failure_reason: str
    approval_request_id: UUID | None


class WorkOrderDetailOut(WorkOrderOut):
    fields: dict[str, Any]
    result: dict[str, Any]
    history: list[WorkOrderHistoryOut]
    attachments: list[WorkOrderAttachmentOut]
    messages: list[WorkOrderMessageOut]


class WorkOrderCountsOut(Schema):
    kind: dict[str, int]
    status: dict[str, int]


class WorkOrderKindFieldChoiceOut(Schema):
    value: str
    label: str


class WorkOrderKindFieldOut(Schema):
    name: str
    label: str
    type: str
    required: bool
    choices: list[WorkOrderKindFieldChoiceOut]


class WorkOrderKindOut(Schema):
    code: str
    label: str
    group: str
    target: str
    reason_required: bool
    remark_or_attachment: bool
    help: str
    fields: list[WorkOrderKindFieldOut]


class WorkOrderBatchResultOut(Schema):
    order_id: str
    number: str
    ok: bool
    status: str
    code: str | None
    title: str | None


class WorkOrderPageIn(Schema):
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(50, ge=1, le=200)


class WorkOrdersPageOut(Schema):
    count: int
    items: list[WorkOrderOut]
