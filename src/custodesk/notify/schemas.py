from __future__ import annotations

import datetime as dt
from typing import Any, Literal
from uuid import UUID

from ninja import Field, Schema

from custodesk.core.schema_types import Day


class OutboxMessageOut(Schema):
    id: UUID
    delivery_id: UUID = Field(description="sent with every attempt; receivers deduplicate on it")
    channel: str
    template: str
    recipient: str
    language: str
    status: str = Field(description="pending | sent | failed (will retry) | gave_up")
    attempts: int
    created_at: dt.datetime
    last_attempt_at: dt.datetime | None
    next_attempt_at: dt.datetime | None
    sent_at: dt.datetime | None
    gave_up_at: dt.datetime | None
    last_error: str
    in_delivery: bool = Field(description="a worker holds it right now")
    had_secrets: bool
    secrets_kept: bool = Field(description="its secrets are still stored (until sent/given up)")


class OutboxMessageDetailOut(OutboxMessageOut):
    context: dict[str, Any]
    secret_fields: list[str] = Field(description="placeholders shown masked, never stored after")
    subject: str
    body: str = Field(description="the text as sent, every secret masked")
    endpoint_url: str


class OutboxMessagePage(Schema):
    items: list[OutboxMessageOut]
    next_after: UUID | None = Field(description="pass as `after` for the older page")


class OutboxFilters(Schema):
    status: Literal["pending", "sent", "failed", "gave_up"] | None = None
    channel: Literal["sms", "email", "webhook"] | None = None
    template: str | None = Field(None, max_length=100)
    recipient: str | None = Field(None, max_length=320)
    date_from: Day | None = None
    date_to: Day | None = None
    after: UUID | None = None
    limit: int = Field(50, ge=1, le=200)


class OutboxReasonIn(Schema):
    reason: str = Field(min_length=1, max_length=200)
