"""API schemas of the members module (bounded inputs, see core/schema_types)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from ninja import Field, Schema
from pydantic import StringConstraints

from custodesk.core.schema_types import Code, Input, OneOf, Text

from .models import EnterpriseApplication, IdType, MemberType

Short = Annotated[Text, StringConstraints(max_length=100)]
Name = Annotated[Text, StringConstraints(max_length=200)]
Long = Annotated[Text, StringConstraints(max_length=300)]
IdNumber = Annotated[Code, StringConstraints(max_length=40)]
Phone = Annotated[Text, StringConstraints(max_length=32)]
SmsCode = Annotated[Code, StringConstraints(max_length=12)]
BankCode = Annotated[Code, StringConstraints(max_length=16)]
CardNumber = Annotated[Text, StringConstraints(max_length=32)]


class MemberSmsCodeIn(Input):
    purpose: Annotated[str, OneOf(["register", "forgot"])]
    phone: Phone


class MemberSmsCodeOut(Schema):
    challenge_id: uuid.UUID
    expires_at: dt.datetime


class EnterpriseIn(Input):
    """The enterprise form (also the multipart fields of the registration)."""

    member_type: Annotated[str, OneOf([MemberType.ENTERPRISE])] = MemberType.ENTERPRISE
    id_type: Annotated[str, OneOf([IdType.USCC, IdType.ORG_CODE])]
    id_number: IdNumber
    company_name: Name
    legal_representative: Short
    contact_name: Short
    mobile: Phone
    email: Annotated[Text, StringConstraints(max_length=254)] = ""
    address: Long
    desired_username: Annotated[Code, StringConstraints(max_length=40)]


class EnterpriseSubmitIn(EnterpriseIn):
    challenge_id: uuid.UUID
    sms_code: SmsCode


class FieldWarningOut(Schema):
    field: str
    rule: str
    message: str


class RegistrationCheckOut(Schema):
    values: dict[str, str]
    warnings: list[FieldWarningOut]


class ApplicationArchiveOut(Schema):
    name: str
    size: int
    sha256: str
    kind: str


class ApplicationSubmittedOut(Schema):
    application_id: uuid.UUID
    status: str
    submitted_at: dt.datetime
    archive: ApplicationArchiveOut


class IndividualIn(Input):
    name: Short
    id_type: Annotated[str, OneOf([IdType.CN_RIC, IdType.HKID])]
    id_number: IdNumber
    bank_code: BankCode
    branch_code: BankCode
    card_number: CardNumber
    phone: Phone


class IndividualSubmitIn(IndividualIn):
    challenge_id: uuid.UUID
    sms_code: SmsCode


class IndividualRegisteredOut(Schema):
    member_id: uuid.UUID
    warnings: list[FieldWarningOut]


class ForgotEnterpriseIn(Input):
    id_type: Annotated[str, OneOf([IdType.USCC, IdType.ORG_CODE])]
    id_number: IdNumber
    mobile: Phone
    challenge_id: uuid.UUID
    sms_code: SmsCode


class ForgotIndividualIn(Input):
    name: Short
    id_type: Annotated[str, OneOf([IdType.CN_RIC, IdType.HKID])] = IdType.CN_RIC
    id_number: IdNumber
    bank_code: BankCode
    card_number: CardNumber
    phone: Phone
    challenge_id: uuid.UUID
    sms_code: SmsCode


class RecoveryOut(Schema):
    username: str = Field(description="the member's login name (the password went by SMS)")


class ApplicationListFilters(Schema):
    status: Annotated[str, OneOf(EnterpriseApplication.Status)] | None = None


class EnterpriseApplicationOut(Schema):
    public_id: uuid.UUID
    status: str
    id_type: str
    id_number: str
    company_name: str
    legal_representative: str
    contact_name: str
    mobile: str
    email: str
    address: str
    language: str
    archive: ApplicationArchiveOut
    submitted_at: dt.datetime
    reviewed_at: dt.datetime | None
    reviewer: str | None
    reason: str
    member_id: uuid.UUID | None
    organisation_code: str | None


class ApplicationRejectIn(Input):
    reason: Annotated[Text, StringConstraints(min_length=1, max_length=500)]


class MemberProfileFilters(Schema):
    member_type: Annotated[str, OneOf(MemberType)] | None = None
    q: Annotated[Text, StringConstraints(max_length=60)] | None = None


class MemberCardOut(Schema):
    bank_code: str
    branch_code: str
    number: str = Field(description="masked: the first and last four digits")
    bound_at: dt.datetime


class MemberProfileOut(Schema):
    public_id: uuid.UUID
    organisation_code: str
    member_type: str
    id_type: str
    id_number: str
    name: str
    mobile: str
    email: str
    status: str
    created_at: dt.datetime
    card: MemberCardOut | None
