"""API schemas of clients, accounts, security actions, cash, agents, related persons
and the client app (brokerage-core).  Inputs refuse unknown fields; every string is
bounded (core.schema_types)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from uuid import UUID

from ninja import Field, Schema

from custodesk.core.schema_types import Amount, Code, Day, Input, OneOf, Text

from .models import Account, Agent, CashMovement, Client, ClientLoginDevice, RelatedPerson

Reason = Annotated[str, Field(min_length=1, max_length=400)]
Country = Annotated[str, Field(max_length=2, pattern=r"^([A-Za-z]{2})?$")]
Currency = Annotated[str, Field(min_length=3, max_length=3, pattern=r"^[A-Z]{3}$")]
ClientNo = Annotated[str, Field(min_length=1, max_length=16, pattern=r"^[0-9]+$")]


# -- clients -----------------------------------------------------------------------
class BrokerClientIn(Input):
    kind: Annotated[str, OneOf(Client.Kind)]
    name_en: Text = Field(min_length=1, max_length=200)
    name_zh: Text = Field("", max_length=200)
    id_type: Annotated[str, OneOf([*Client.IdType.values, ""])] = ""
    id_number: Text = Field("", max_length=64)
    id_issuing_place: Country = ""
    nationality: Country = ""
    date_of_birth: Day | None = None
    phone: Text = Field("", max_length=32)
    email: Code = Field("", max_length=254)
    address: Text = Field("", max_length=400)
    risk_level: Annotated[str, OneOf(Client.RiskLevel)] = "medium"
    category: Annotated[str, OneOf(Client.Category)] = "retail"
    holders: list[ClientNo] = Field(default_factory=list, max_length=10)


class BrokerClientUpdateIn(Input):
    name_en: Text | None = Field(None, min_length=1, max_length=200)
    name_zh: Text | None = Field(None, max_length=200)
    id_type: Annotated[str, OneOf(Client.IdType)] | None = None
    id_number: Text | None = Field(None, max_length=64)
    id_issuing_place: Country | None = None
    nationality: Country | None = None
    date_of_birth: Day | None = None
    phone: Text | None = Field(None, max_length=32)
    email: Code | None = Field(None, max_length=254)
    address: Text | None = Field(None, max_length=400)
    risk_level: Annotated[str, OneOf(Client.RiskLevel)] | None = None
    category: Annotated[str, OneOf(Client.Category)] | None = None
    reason: Reason


class BrokerClientOut(Schema):
    id: UUID = Field(alias="public_id")
    client_no: str
    kind: str
    category: str
    name_en: str
    name_zh: str
    id_type: str
    id_number: str
    id_issuing_place: str
    nationality: str
    date_of_birth: dt.date | None
    phone: str
    email: str
    address: str
    risk_level: str
    status: Annotated[str, OneOf(Client.Status)]
    status_reason: str
    closed_kind: str
    reregister_from: dt.date | None
    created_at: dt.datetime


class BrokerAccountBriefOut(Schema):
    id: UUID = Field(alias="public_id")
    number: str
    type: Annotated[str, OneOf(Account.Type)]
    base_currency: str
    status: Annotated[str, OneOf(Account.Status)]
    frozen: bool
    freeze_reason: str
    main_account: str | None
    opened_on: dt.date | None
    closed_at: dt.datetime | None


class BrokerAppLoginOut(Schema):
    login_name: str
    state: str
    failed_count: int
    must_change_password: bool
    last_sign_in_at: dt.datetime | None


class BrokerClientDetailOut(Schema):
    client: BrokerClientOut
    accounts: list[BrokerAccountBriefOut]
    holders: list[str]
    joint_clients: list[str]
    app_login: BrokerAppLoginOut | None


class BrokerAccountDetailOut(Schema):
    account: BrokerAccountBriefOut
    client: BrokerClientOut
    linked_accounts: list[BrokerAccountBriefOut]


class BrokerCloseClientIn(Input):
    kind: Annotated[str, OneOf(Client.ClosedKind)]
    reason: Reason


class BrokerReasonIn(Input):
    reason: Reason


# -- accounts ----------------------------------------------------------------------
class BrokerOpenAccountIn(Input):
    account_type: Annotated[str, OneOf(Account.Type)]
    base_currency: Currency
    currencies: list[Currency] = Field(default_factory=list, max_length=10)
    main_account: Annotated[str, Field(max_length=16, pattern=r"^[0-9]+$")] | None = None
    remark: Text = Field("", max_length=400)


class BrokerCashIn(Input):
    currency: Currency
    amount: Amount
    reference: Text = Field("", max_length=64)
    remark: Text = Field("", max_length=400)


class BrokerBalanceOut(Schema):
    currency: str
    posted: str
    available: str
    pending_debits: str
    pending_credits: str
    frozen: bool


class BrokerMovementOut(Schema):
    id: UUID
    kind: Annotated[str, OneOf(CashMovement.Kind)]
    currency: str
    amount: str
    status: str
    reference: str
    remark: str
    requested_by: str
    requested_at: dt.datetime
    decided_at: dt.datetime | None
    approval_request_id: UUID | None


class BrokerAssetsOut(Schema):
    balances: list[BrokerBalanceOut]
    movements: list[BrokerMovementOut]


# -- people ------------------------------------------------------------------------
class BrokerAgentIn(Input):
    name: Text = Field(min_length=1, max_length=200)
    id_type: Annotated[str, OneOf(["hkid", "national_id", "passport"])]
    id_number: Text = Field(min_length=1, max_length=64)
    relationship: Text = Field(min_length=1, max_length=100)
    scope: Annotated[str, OneOf(Agent.Scope)]
    valid_from: Day
    valid_to: Day | None = None


class BrokerAgentUpdateIn(Input):
    name: Text | None = Field(None, min_length=1, max_length=200)
    relationship: Text | None = Field(None, min_length=1, max_length=100)
    scope: Annotated[str, OneOf(Agent.Scope)] | None = None
    valid_from: Day | None = None
    valid_to: Day | None = None
    reason: Reason


class BrokerAgentOut(Schema):
    id: UUID = Field(alias="public_id")
    name: str
    id_type: str
    id_number: str
    relationship: str
    scope: str
    valid_from: dt.date
    valid_to: dt.date | None
    status: Annotated[str, OneOf(Agent.Status)]


class BrokerRelatedIn(Input):
    role: Annotated[str, OneOf(RelatedPerson.Role)]
    name: Text = Field(min_length=1, max_length=200)
    id_type: Text = Field("", max_length=32)
    id_number: Text = Field("", max_length=64)
    share_percent: (
        Annotated[str, Field(max_length=6, pattern=r"^[0-9]{1,3}(\.[0-9]{1,2})?$")] | None
    ) = None
    phone: Text = Field("", max_length=32)
    email: Code = Field("", max_length=254)


class BrokerRelatedUpdateIn(Input):
    role: Annotated[str, OneOf(RelatedPerson.Role)] | None = None
    name: Text | None = Field(None, min_length=1, max_length=200)
    share_percent: (
        Annotated[str, Field(max_length=6, pattern=r"^[0-9]{1,3}(\.[0-9]{1,2})?$")] | None
    ) = None
    phone: Text | None = Field(None, max_length=32)
    email: Code | None = Field(None, max_length=254)
    reason: Reason


class BrokerRelatedOut(Schema):
    id: UUID = Field(alias="public_id")
    role: str
    name: str
    id_type: str
    id_number: str
    share_percent: str | None
    phone: str
    email: str


class BrokerOperationOut(Schema):
    id: UUID = Field(alias="public_id")
    at: dt.datetime
    actor: str = Field(alias="actor_username")
    action: str
    object_type: str
    object: str = Field(alias="object_repr")
    ip: str
    before: dict | list | None
    after: dict | list | None
    reason: str


class BrokerLoginDeviceOut(Schema):
    at: dt.datetime
    login_name: str
    ip: str
    device_id: str
    device_model: str
    os: str
    app_version: str
    result: Annotated[str, OneOf(ClientLoginDevice.Result)]


class BrokerAppLoginIn(Input):
    login_name: Text = Field(min_length=1, max_length=64)


# -- the client app ----------------------------------------------------------------
class BrokerClientSignInIn(Input):
    login_name: Text = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    device_id: Text = Field("", max_length=64)
    device_model: Text = Field("", max_length=100)
    os: Text = Field("", max_length=100)
    app_version: Text = Field("", max_length=32)


class BrokerClientMeOut(Schema):
    client_no: str
    name_en: str
    name_zh: str
    login_name: str
    must_change_password: bool
    accounts: list[str]


class BrokerClientSignInOut(Schema):
    token: str
    token_type: str = "Bearer"  # noqa: S105
    expires_at: dt.datetime
    must_change_password: bool
    client: BrokerClientMeOut


class BrokerClientPasswordIn(Input):
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=128)
