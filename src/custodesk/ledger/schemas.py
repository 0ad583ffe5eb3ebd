import datetime as dt
from typing import Any, Literal
from uuid import UUID

from ninja import Field, Schema
from pydantic import BaseModel


class AccountIn(Schema):
    code: str = Field(max_length=64)
    name: str = ""
    kind: str
    currency: str = Field(min_length=3, max_length=3)
    owner_type: str = ""
    owner_id: str = ""
    debits_must_not_exceed_credits: bool = False
    credits_must_not_exceed_debits: bool = False
    hot: bool = False


class AccountOut(BaseModel):  # plain pydantic, built from dicts (see the transfers below)
    id: UUID
    code: str
    name: str
    kind: str
    currency: str
    status: str
    owner_type: str
    owner_id: str
    debits_must_not_exceed_credits: bool
    credits_must_not_exceed_debits: bool
    hot: bool
    balance: str
    available: str
    debits_posted: str
    credits_posted: str
    debits_pending: str
    credits_pending: str
    frozen_amount: str
    debit_frozen: bool
    credit_frozen: bool
    created_at: dt.datetime


class AccountPage(BaseModel):
    items: list[AccountOut]
    next_after: str | None = Field(description="pass as `after` for the next page (a code)")


class BalanceOut(Schema):
    account: str
    currency: str
    as_of: dt.datetime | None
    balance: str
    available: str
    debits_posted: str
    credits_posted: str
    debits_pending: str
    credits_pending: str
    frozen_amount: str


class FreezeIn(Schema):
    kind: str = Field(description="full, debit, credit or amount")
    amount: str | None = Field(None, description="amount freezes only (decimal string)")
    reason_code: str = Field(max_length=64)
    legal_reference: str = Field("", max_length=200)
    expires_at: dt.datetime | None = None


class FreezeOut(Schema):
    id: UUID
    account: str
    kind: str
    amount: str | None
    reason_code: str
    legal_reference: str
    placed_at: dt.datetime
    expires_at: dt.datetime | None
    released_at: dt.datetime | None
    release_reason: str


class ReasonIn(Schema):
    reason: str = Field(max_length=200)


# The transfer schemas are plain pydantic models, not ninja ``Schema``s: they are built from
# JSON and dicts only, and ninja's Schema wraps every value in a ``DjangoGetter`` (for ORM
# objects) that cost a tenth of a transfer request's CPU.  The OpenAPI document is the same.
class _TransferOptions(BaseModel):
    """What a new transfer may carry besides its accounts and amount (single and batch)."""

    pending: bool = False
    timeout_seconds: int | None = Field(None, ge=1)
    kind: str = Field("transfer", max_length=32)
    metadata: dict[str, Any] = {}
    idempotency_key: str | None = Field(None, max_length=128)
    group_id: str = Field("", max_length=64)


class TransferIn(_TransferOptions):
    debit_account: str = Field(description="account code or id")
    credit_account: str = Field(description="account code or id")
    amount: str = Field(description="decimal string in the currency's units")
    currency: str = Field(min_length=3, max_length=3)


class PostIn(Schema):
    amount: str | None = Field(None, description="omit to post the full pending amount")
    idempotency_key: str | None = Field(None, max_length=128)


class VoidIn(Schema):
    idempotency_key: str | None = Field(None, max_length=128)


class TransferOut(BaseModel):
    id: UUID
    idempotency_key: str | None
    debit_account: str
    credit_account: str
    amount: str
    currency: str
    flag: str
    pending_state: str
    pending_id: UUID | None
    timeout_at: dt.datetime | None
    kind: str
    business_date: dt.date
    group_id: str
    metadata: dict[str, Any]
    created_at: dt.datetime


class BatchTransferIn(_TransferOptions):
    """One batch item: a transfer as ``POST /transfers`` takes it — or, with ``resolve``,
    the posting (in full, or ``amount`` of it) or voiding of the hold ``pending_id``,
    whose accounts and currency are the hold's."""

    debit_account: str | None = Field(None, description="account code or id")
    credit_account: str | None = Field(None, description="account code or id")
    amount: str | None = Field(None, description="decimal string in the currency's units")
    currency: str | None = Field(None, min_length=3, max_length=3)
    resolve: Literal["post_pending", "void_pending"] | None = Field(
        None, description="post or void the hold `pending_id` instead of a new transfer"
    )
    pending_id: UUID | None = Field(None, description="the hold to post or void")


class BatchIn(BaseModel):
    transfers: list[BatchTransferIn] = Field(min_length=1, max_length=8190)


class BatchItemOut(BaseModel):
    index: int
    ok: bool
    code: str | None = None
    detail: str = ""
    replayed: bool = False
    transfer: TransferOut | None = None


class TransferPage(Schema):
    items: list[TransferOut]
    next_after: UUID | None


class RefusedOut(Schema):
    id: int
    created_at: dt.datetime
    code: str
    detail: str
    requested_by: str | None = Field(description="user name of who asked (none: a job)")
    debit_account: str | None
    credit_account: str | None
    amount: str | None = Field(description="what was asked for, in the currency's units")
    currency: str
    flag: str
    kind: str
    idempotency_key: str | None
    replay_of: int | None = Field(
        None, description="a retry with the same key: the refused attempt whose answer it got"
    )
    request: dict[str, Any]


class RefusedPage(Schema):
    items: list[RefusedOut]
    next_after: int | None = Field(description="pass as `after` for the older page")


class StatementLineOut(Schema):
    id: UUID
    business_date: dt.date
    created_at: dt.datetime
    kind: str
    counterparty: str
    debit: str
    credit: str
    balance: str


class StatementOut(Schema):
    account: str
    currency: str
    date_from: dt.date
    date_to: dt.date
    opening: str
    closing: str
    lines: list[StatementLineOut]


class VerifyOut(Schema):
    ok: bool
    violations: list[str]
