"""API schemas of deposits and withdrawals (separate in / out, bounded inputs)."""

import datetime as dt
from typing import Annotated
from uuid import UUID

from ninja import Field, Schema

from custodesk.core.schema_types import Amount, Code, Day, Input, OneOf, StrictBool, Text

from .models import Direction, FundMovement

Status = Annotated[str, OneOf(FundMovement.Status)]
DirectionField = Annotated[str, OneOf(Direction)]
SmsCode = Annotated[str, Field(min_length=1, max_length=12, pattern=r"^[0-9]+$")]
Key = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")]


class MovementIn(Input):
    contract_id: UUID
    amount: Amount
    idempotency_key: Key = Field(description="the same key again answers the first request")
    challenge_id: UUID | None = None
    sms_code: SmsCode | None = None
    comment: Text = Field("", max_length=500)


class FundsCodeIn(Input):
    direction: DirectionField


class FundsChallengeOut(Schema):
    challenge_id: UUID
    expires_at: dt.datetime
    phone: str


class ApproveIn(Input):
    comment: Text = Field("", max_length=500)


class RejectIn(Input):
    reason: Text = Field(..., min_length=1, max_length=500)


class ResolveIn(Input):
    outcome: Annotated[str, OneOf(["succeeded", "failed"])]
    bank_reference: Code = Field("", max_length=64)
    reason: Text = Field(..., min_length=1, max_length=500)


class LimitIn(Input):
    market_id: UUID
    member_id: UUID | None = None
    direction: DirectionField
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    per_transaction: Amount | None = None
    daily: Amount | None = None


class WebhookIn(Input):
    url: Text = Field(..., min_length=1, max_length=500)
    secret: Text | None = Field(None, min_length=32, max_length=200)
    active: StrictBool = True


class WebhookOut(Schema):
    endpoint: str


class MovementFilters(Schema):
    status: Status | None = None
    direction: DirectionField | None = None
    market: Code | None = Field(None, max_length=16)
    member_code: Code | None = Field(None, max_length=32)
    q: Text | None = Field(None, max_length=100)
    date_from: Day | None = None
    date_to: Day | None = None


class MovementOut(Schema):
    id: UUID
    direction: str
    direction_label: str
    status: str
    status_label: str
    amount: str = Field(description="decimal string in the currency")
    currency: str
    market_code: str
    market_name: str
    member_code: str
    member_name: str
    contract_id: UUID
    card: str
    reason_code: str
    reason: str
    rail_reference: str
    resolution: str
    business_date: dt.date
    submitted_by: str
    created_at: dt.datetime
    completed_at: dt.datetime | None
    request_id: str | None


class EventOut(Schema):
    at: dt.datetime
    by: str
    from_status: str
    to_status: str
    note: str


class MovementDetailOut(MovementOut):
    events: list[EventOut]


class SubmittedMovementOut(Schema):
    executed: bool
    replayed: bool
    request_id: str | None
    movement: MovementDetailOut


class ContractBalanceOut(Schema):
    contract_id: UUID
    market_code: str
    market_name: str
    member_code: str
    currency: str
    card: str
    balance: str
    frozen: str
    available: str


class LimitOut(Schema):
    id: UUID
    market_code: str
    member_name: str | None
    member_id: UUID | None
    direction: str
    currency: str
    per_transaction: str | None
    daily: str | None
    updated_at: dt.datetime
    updated_by: str
