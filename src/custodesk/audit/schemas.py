from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from ninja import Field, Schema

from custodesk.core.schema_types import Code, Day, Text


class AuditEntryOut(Schema):
    id: UUID = Field(alias="public_id")
    seq: int
    at: dt.datetime
    actor: str = Field(alias="actor_username")
    organisation: str = Field(alias="organisation_code")
    roles: list[str]
    channel: str
    ip: str
    device_id: str
    request_id: str
    action: str
    object_type: str
    object_id: str
    object_repr: str
    before: Any = None
    after: Any = None
    reason: str
    approval_request_id: str
    hash: str


class AuditFilters(Schema):
    action: Code | None = Field(None, max_length=100)
    actor: Text | None = Field(None, max_length=150)
    object_type: Code | None = Field(None, max_length=64)
    object_id: Code | None = Field(None, max_length=64)
    request_id: Code | None = Field(None, max_length=64)
    approval_request_id: Code | None = Field(None, max_length=64)
    ip: Code | None = Field(None, max_length=64)
    date_from: Day | None = None
    date_to: Day | None = None


class ChainReportOut(Schema):
    intact: bool
    problems: list[str]
