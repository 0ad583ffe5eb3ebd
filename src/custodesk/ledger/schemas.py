import datetime as dt
from typing import Annotated, Any, Literal
from uuid import UUID

from ninja import Field, Schema
from pydantic import BaseModel

from custodesk.core.money import SUPPORTED_CURRENCIES
from custodesk.core.schema_types import (
    INPUT,
    Amount,
    Code,
    Input,
    Metadata,
    OneOf,
    StrictBool,
    Text,
    Zoned,
)

from .models import AccountFreeze, LedgerAccount, LedgerTransfer

Currency = Annotated[str, OneOf(SUPPORTED_CURRENCIES)]
AccountKind = Annotated[str, OneOf(LedgerAccount.Kind)]
FreezeKind = Annotated[str, OneOf(AccountFreeze.Kind)]
Flag = Annotated[str, OneOf(LedgerTransfer.Flag)]
PendingState = Annotated[str, OneOf(LedgerTransfer.PendingState)]
# "" for a transfer that is not a hold
HoldState = Annotated[str, OneOf(("", *LedgerTransfer.PendingState.values))]
IdempotencyKey = Annotated[Code, Field(min_length=1, max_length=128)]


class AccountIn(Input):
    code: Code = Field(min_length=1, max_length=64)
    name: Text = Field("", max_length=200)
    kind: AccountKind
    currency: Currency
    owner_type: Code = Field("", max_length=32)
    owner_id: Code = Field("", max_length=64)
    debits_must_not_exceed_credits: StrictBool = False
    credits_must_not_exceed_debits: StrictBool = False
    hot: StrictBool = False


class AccountOut(BaseModel):  # plain pydantic, built from dicts (see the transfers below)
    id: UUID
    code: str
    name: str
    kind: AccountKind
    currency: str
    status: Annotated[str, OneOf(LedgerAccount.Status)]
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


class FreezeIn(Input):
    kind: FreezeKind = Field(description="full, debit, credit or amount")
    amount: Amount | None = Field(None, description="amount freezes only (decimal string)")
    reason_code: Code = Field(min_length=1, max_length=64)
    legal_reference: Text = Field("", max_length=200)
    expires_at: Zoned | None = None


class FreezeOut(Schema):
    id: UUID
    account: str
    kind: FreezeKind
    amount: str | None
    reason_code: str
    legal_reference: str
    placed_at: dt.datetime
    expires_at: dt.datetime | None
    released_at: dt.datetime | None
    release_reason: str


class LedgerReasonIn(Input):
    reason: Text = Field(min_length=1, max_length=200)


# The transfer schemas are plain pydantic models, not ninja ``Schema``s: they are built from
# JSON and dicts only, and ninja's Schema wraps every value in a ``DjangoGetter`` (for ORM
# objects) that cost a tenth of a transfer request's CPU.  The OpenAPI document is the same.
class _TransferOptions(BaseModel):
    """What a new transfer may carry besides its accounts and amount (single and batch)."""

    model_config = INPUT

    pending: StrictBool = False
    timeout_seconds: int | None = Field(None, ge=1, le=2**31 - 1, strict=True)
    kind: Code = Field("transfer", min_length=1, max_length=32)
    metadata: Metadata = {}
    idempotency_key: IdempotencyKey | None = None
    group_id: Code = Field("", max_length=64)


AccountRef = Annotated[Code, Field(min_length=1, max_length=64, description="account code or id")]


class TransferIn(_TransferOptions):
    debit_account: AccountRef
    credit_account: AccountRef
    amount: Amount
    currency: Currency


class PostIn(Input):
    amount: Amount | None = Field(None, description="omit to post the full pending amount")
    idempotency_key: IdempotencyKey | None = None


class VoidIn(Input):
    idempotency_key: IdempotencyKey | None = None


class TransferOut(BaseModel):
    id: UUID
    idempotency_key: str | None
    debit_account: str
    credit_account: str
    amount: str
    currency: str
    flag: Flag
    pending_state: HoldState
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

    debit_account: AccountRef | None = None
    credit_account: AccountRef | None = None
    amount: Amount | None = None
    currency: Currency | None = None
    resolve: Literal["post_pending", "void_pending"] | None = Field(
        None, description="post or void the hold `pending_id` instead of a new transfer"
    )
    pending_id: UUID | None = Field(None, description="the hold to post or void")


class BatchIn(BaseModel):
    model_config = INPUT

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
