import datetime as dt
from typing import Annotated, Any, Literal
from uuid import UUID

from ninja import Field, Schema

from custodesk.core.money import SUPPORTED_CURRENCIES
from custodesk.core.schema_types import Amount, Code, Input, OneOf, Payload, StrictBool, Text

from .models import ApprovalFlow, ApprovalRequest, RequestAction

MAX_EXPIRY_HOURS = 24 * 366  # a flow's requests expire within a year
MAX_REQUIRED_APPROVALS = 20
MAX_LEVELS = 6
Comment = Annotated[Text, Field(max_length=1000)]
RequestStatus = Annotated[str, OneOf(ApprovalRequest.Status)]


class RequestOut(Schema):
    id: UUID
    action_type: str
    summary: str
    status: RequestStatus
    auto_approved: bool
    current_level: int
    level_count: int
    initiator: str
    object_type: str
    object_id: str
    amount: str | None = Field(None, description="decimal string in the request's currency")
    currency: str
    created_at: dt.datetime
    expires_at: dt.datetime
    decided_at: dt.datetime | None
    reject_reason: str


class ActionOut(Schema):
    kind: Annotated[str, OneOf(RequestAction.Kind)]
    level: int | None
    actor: str | None
    target: str | None
    comment: str
    at: dt.datetime


class LevelOut(Schema):
    position: int
    name: str
    required_approvals: int
    forbid_initiator: bool
    approvers: list[str]
    excluded: list[str]
    approved_by: list[str]
    current: bool


class RequestDetailOut(RequestOut):
    payload: dict[str, Any]
    preview: dict[str, Any]
    result: dict[str, Any] | None
    levels: list[LevelOut]
    history: list[ActionOut]
    can: dict[str, bool]


class SubmittedOut(Schema):
    executed: bool
    request: RequestOut
    result: dict[str, Any] | None = None


class SubmitIn(Input):
    action_type: Code = Field(min_length=1, max_length=64)
    payload: Payload
    comment: Comment = ""


class CommentIn(Input):
    comment: Comment = ""


class ApprovalReasonIn(Input):
    reason: Text = Field(min_length=1, max_length=1000)


class ApprovalTransferIn(Input):
    to_user_id: UUID
    comment: Comment = ""


class CcIn(Input):
    user_ids: list[UUID] = Field(min_length=1, max_length=50)
    comment: Comment = ""


class ApprovalBatchIn(Input):
    request_ids: list[UUID] = Field(min_length=1, max_length=500)
    decision: Literal["approve", "reject"]
    reason: Comment = ""


class ApprovalBatchItemOut(Schema):
    request_id: str
    ok: bool
    status: RequestStatus | None
    executed: bool
    code: str | None
    title: str | None


class LevelIn(Input):
    name: Text = Field("", max_length=100)
    required_approvals: int = Field(1, ge=1, le=MAX_REQUIRED_APPROVALS, strict=True)
    forbid_initiator: StrictBool = True
    min_amount: Amount | None = Field(None, description="threshold (decimal string), inclusive")
    currency: Annotated[str, OneOf(("", *SUPPORTED_CURRENCIES))] = ""
    user_ids: list[UUID] = Field([], max_length=50)
    role_codes: list[Annotated[Code, Field(max_length=64)]] = Field([], max_length=50)


class FlowIn(Input):
    mode: Annotated[str, OneOf(ApprovalFlow.Mode)]
    expiry_hours: int = Field(72, ge=1, le=MAX_EXPIRY_HOURS, strict=True)
    levels: list[LevelIn] = Field([], max_length=MAX_LEVELS)
    global_flow: StrictBool = False


class FlowLevelOut(Schema):
    position: int
    name: str
    required_approvals: int
    forbid_initiator: bool
    min_amount: str | None
    currency: str
    users: list[str]
    role_codes: list[str]


class FlowOut(Schema):
    action_type: str
    label: str
    scope: str
    auto: bool
    level_count: int
    source: str
    mode: str | None = None
    expiry_hours: int | None = None
    levels: list[FlowLevelOut] = []


class ActionTypeOut(Schema):
    code: str
    label: str
