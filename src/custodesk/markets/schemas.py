import datetime as dt
from typing import Annotated, Any
from uuid import UUID

from ninja import Field, Schema

from custodesk.core.schema_types import Code, Input, OneOf, StrictBool, Text

from .models import CURRENCIES, Market

Currency = Annotated[str, OneOf(CURRENCIES)]


class MarketFieldsIn(Input):
    name: Text = Field(min_length=1, max_length=200)
    summary_account_no: Code = Field(min_length=1, max_length=32, examples=["4000023309200123456"])
    summary_account_name: Text = Field(min_length=1, max_length=200)
    summary_bank: Text = Field(
        "", max_length=200, description="the opening bank's name (or give summary_branch_code)"
    )
    summary_branch_code: Code = Field(
        "", max_length=16, description="the opening branch in the bank directory"
    )
    b2b_review: StrictBool = False
    currencies: list[Currency] = Field(min_length=1, max_length=3)


class MarketCreateIn(MarketFieldsIn):
    code: Code = Field(min_length=1, max_length=16, examples=["GBCE"])
    agreement_title: Text = Field(min_length=1, max_length=200)
    agreement_body: Text = Field(min_length=1, max_length=50_000)
    admin_username: Code = Field(min_length=1, max_length=150)
    admin_full_name: Text = Field(min_length=1, max_length=200)
    admin_email: Code = Field("", max_length=254)
    admin_phone: Code = Field("", max_length=32)
    admin_language: Annotated[str, OneOf(["", "en", "zh_Hant", "zh_Hans"])] = ""


class ReasonIn(Input):
    reason: Text = Field(min_length=1, max_length=500)


class OptionalReasonIn(Input):
    reason: Text = Field("", max_length=500)


class AgreementIn(Input):
    title: Text = Field(min_length=1, max_length=200)
    body: Text = Field(min_length=1, max_length=50_000)


class MarketFilters(Input):
    status: Annotated[str, OneOf(Market.Status)] | None = None
    q: Text | None = Field(None, max_length=100)


class LedgerAccountsOut(Schema):
    currency: str
    summary_account_id: int
    suspense_account_id: int


class AgreementOut(Schema):
    id: UUID = Field(alias="public_id")
    version: int
    title: str
    effective_from: dt.datetime
    created_at: dt.datetime


class AgreementTextOut(AgreementOut):
    body: str


class MarketOut(Schema):
    id: UUID = Field(alias="public_id")
    code: str
    name: str
    status: str
    status_label: str
    status_reason: str
    organisation_id: UUID = Field(alias="organisation.public_id")
    summary_account_no: str
    summary_account_name: str
    summary_bank: str
    summary_branch_code: str
    b2b_review: bool
    currencies: list[str]
    agreement_version: int
    ledger_accounts: list[LedgerAccountsOut]
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_status_label(obj: Market) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_summary_branch_code(obj: Market) -> str:
        return obj.summary_branch.code if obj.summary_branch else ""

    @staticmethod
    def resolve_ledger_accounts(obj: Market) -> list[Any]:
        return list(obj.ledger_accounts.all())
