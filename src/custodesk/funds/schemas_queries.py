"""API schemas of the account and transaction queries and the statements (bounded
inputs, separate outputs)."""

import datetime as dt
from typing import Annotated
from uuid import UUID

from ninja import Field, Schema

from custodesk.core.schema_types import Code, Day, OneOf, Text

from .models import Direction, FundMovement
from .queries import Category


class CustodyAccountFilters(Schema):
    status: Annotated[str, OneOf(["active", "cancelled", "all"])] = Field(
        "active", description="contracts in force (default), cancelled ones, or all"
    )
    market: Code | None = Field(None, max_length=16)
    q: Text | None = Field(None, max_length=100, description="member code or name contains")


class CustodyAccountOut(Schema):
    id: UUID = Field(description="the contract")
    member_code: str
    member_id: UUID
    member_name: str
    market_id: UUID
    market_code: str
    market_name: str
    currency: str
    balance: str = Field(description="posted balance, in the currency's decimals")
    frozen: str = Field(description="withdrawals waiting for their outcome + amounts frozen")
    available: str
    status: str
    status_label: str
    signed_at: dt.datetime
    cancelled_at: dt.datetime | None


class CustodyReceivingAccountOut(Schema):
    account_no: str
    account_name: str
    bank: str
    branch_code: str
    branch_name: str


class CustodyAccountDetailOut(CustodyAccountOut):
    sub_account: str
    card: str
    card_bank: str
    member_type: str
    receiving_account: CustodyReceivingAccountOut


class CustodyStatementQuery(Schema):
    date_from: Day | None = Field(None, description="default: today (business date)")
    date_to: Day | None = Field(None, description="default: today, or date_from")


class TransactionFilters(Schema):
    category: Annotated[str, OneOf(Category.CHOICES)] = Category.FUNDS
    period: Annotated[str, OneOf(["today", "history"])] = Field(
        "today", description="today's business date, or date_from..date_to"
    )
    date_from: Day | None = None
    date_to: Day | None = None
    direction: Annotated[str, OneOf(Direction)] | None = None
    status: Annotated[str, OneOf(FundMovement.Status)] | None = None
    contract_id: UUID | None = None
    market: Code | None = Field(None, max_length=16)


class TransactionPageQuery(Schema):
    after: Annotated[str, Field(max_length=18, pattern=r"^[0-9]+$")] | None = Field(
        None, description="the previous page's next_after"
    )
    limit: int = Field(50, ge=1, le=200)


class TransactionOut(Schema):
    id: UUID
    category: str
    category_label: str
    type: str
    type_label: str
    amount: str
    signed_amount: str = Field(description="the member's side: money in positive")
    currency: str
    status: str
    status_label: str
    business_date: dt.date
    created_at: dt.datetime
    completed_at: dt.datetime | None
    contract_id: UUID
    member_code: str
    member_name: str
    market_code: str
    market_name: str
    card: str
    rail_reference: str
    reason: str


class TransactionPageOut(Schema):
    items: list[TransactionOut]
    next_after: str | None


class TransactionEventOut(Schema):
    at: dt.datetime
    by: str
    from_status: str
    to_status: str
    from_label: str
    to_label: str
    note: str


class TransactionDetailOut(TransactionOut):
    submitted_by: str | None
    approved_by: str | None
    events: list[TransactionEventOut]
