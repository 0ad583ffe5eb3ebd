from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from ninja import Field, Schema


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
    action: str | None = None
    actor: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    request_id: str | None = None
    approval_request_id: str | None = None
    ip: str | None = None
    date_from: str | None = None
    date_to: str | None = None


class ChainReportOut(Schema):
    intact: bool
    problems: list[str]
