"""API schemas of the custody member portal (separate in / out, bounded inputs)."""

import datetime as dt
from typing import Annotated
from uuid import UUID

from ninja import Field, Schema

from custodesk.core.schema_types import Code, Input, OneOf, StrictBool, Text

from .models import Contract

ContractStatus = Annotated[str, OneOf(Contract.Status)]
SmsCode = Annotated[str, Field(min_length=1, max_length=12, pattern=r"^[0-9]+$")]
Phone = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^\+?[0-9 ()-]+$")]
CardNumber = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[0-9]+$")]


class ContractFilters(Schema):
    status: ContractStatus | None = None
    market: Code | None = Field(None, max_length=16)
    q: Text | None = Field(None, max_length=100)


class MarketOfferOut(Schema):
    id: UUID
    code: str
    name: str
    currencies: list[str]
    agreement_version: int
    agreement_title: str
    agreement_text: str
    signed: bool


class SubAccountOut(Schema):
    code: str
    status: str
    currency: str
    balance: str = Field(description="decimal string in the currency")
    available: str
    pending: str
    frozen: str


class MarketStateOut(Schema):
    open_trades: int
    open_disputes: int
    note: str
    reported_at: dt.datetime | None = None
    reported_by: str | None = None


class ContractOut(Schema):
    id: UUID
    status: str
    status_label: str
    market_id: UUID
    market_code: str
    market_name: str
    member_id: UUID
    member_name: str
    member_type: str
    member_code: str
    card: str = Field(description="masked card number")
    card_bank: str
    currency: str
    agreement_version: int
    agreement_accepted_at: dt.datetime
    submitted_by: str
    approved_by: str | None = None
    signed_at: dt.datetime
    cancelled_at: dt.datetime | None = None


class ContractDetailOut(ContractOut):
    market_state: MarketStateOut
    sub_account: SubAccountOut | None = None


class Confirmation(Input):
    """An SMS code (individual members; every self-service change)."""

    challenge_id: UUID | None = None
    sms_code: SmsCode | None = None


class SignIn(Confirmation):
    market_id: UUID
    member_code: Code = Field(max_length=32)
    card_id: UUID
    currency: Code | None = Field(None, max_length=3)
    agreement_version: int = Field(ge=0, le=1_000_000)
    agreement_accepted: StrictBool
    comment: Text = Field("", max_length=500)


class CancelIn(Confirmation):
    comment: Text = Field("", max_length=500)


class MarketStateIn(Input):
    open_trades: int = Field(ge=0, le=1_000_000)
    open_disputes: int = Field(ge=0, le=1_000_000)
    note: Text = Field("", max_length=500)


class CodeRequestIn(Input):
    purpose: Annotated[
        str,
        OneOf(
            [
                "contract_sign",
                "contract_cancel",
                "member_card_change",
                "member_info_change",
                "member_close",
            ]
        ),
    ]


class ChallengeOut(Schema):
    challenge_id: UUID
    expires_at: dt.datetime
    phone: str = Field(description="masked")


class BoundCardOut(Schema):
    id: UUID
    status: str
    status_label: str
    bank_code: str
    branch_code: str
    card: str = Field(description="masked card number")
    holder_name: str
    bound_at: dt.datetime
    replaced_at: dt.datetime | None = None


class CardChangeIn(Confirmation):
    bank_code: Code = Field(max_length=16)
    branch_code: Code = Field("", max_length=16)
    card_number: CardNumber
    phone: Phone


class ProfileOut(Schema):
    id: UUID
    member_type: str
    name: str
    id_type: str
    id_number: str
    legal_representative: str
    contact_name: str
    mobile: str
    email: str
    address: str
    status: str


class ProfileChangeIn(Confirmation):
    legal_representative: Text | None = Field(None, max_length=100)
    contact_name: Text | None = Field(None, max_length=100)
    email: Text | None = Field(None, max_length=254)
    address: Text | None = Field(None, max_length=300)


class PhoneCodeIn(Input):
    new_phone: Phone


class PhoneChangeIn(Confirmation):
    new_phone: Phone
    card_number: CardNumber


class ClosedOut(Schema):
    status: str
    closed_at: dt.datetime | None


class MemberContractOut(Schema):
    market: str
    member_code: str
    status: str


class MemberRowOut(Schema):
    id: UUID
    name: str
    member_type: str
    status: str
    contracts: list[MemberContractOut]
