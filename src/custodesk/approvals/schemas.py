import datetime as dt
from typing import Any
from uuid import UUID

from ninja import Field, Schema


class RequestOut(Schema):
    id: UUID
    action_type: str
    summary: str
    status: str
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
    kind: str
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


class SubmitIn(Schema):
    action_type: str
    payload: dict[str, Any]
    comment: str = ""


class CommentIn(Schema):
    comment: str = Field("", max_length=1000)


class ReasonIn(Schema):
    reason: str = Field(max_length=1000)


class TransferIn(Schema):
    to_user_id: UUID
    comment: str = Field("", max_length=1000)


class CcIn(Schema):
    user_ids: list[UUID]
    comment: str = Field("", max_length=1000)


class BatchIn(Schema):
    request_ids: list[UUID] = Field(min_length=1, max_length=500)
    decision: str = Field(pattern="^(approve|reject)$")
    reason: str = ""


class BatchItemOut(Schema):
    request_id: str
    ok: bool
    status: str | None
    executed: bool
    code: str | None
    title: str | None


class LevelIn(Schema):
    name: str = ""
    required_approvals: int = 1
    forbid_initiator: bool = True
    min_amount: str | None = Field(None, description="threshold (decimal string), inclusive")
    currency: str = ""
    user_ids: list[UUID] = []
    role_codes: list[str] = []


class FlowIn(Schema):
    mode: str = Field(pattern="^(auto|review)$")
    expiry_hours: int = 72
    levels: list[LevelIn] = []
    global_flow: bool = False


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
