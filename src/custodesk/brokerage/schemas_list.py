"""Ninja schemas of the account list, trading permissions, flags and records (in / out)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from ninja import Field, Schema

from custodesk.core.schema_types import Code, Day, Input, StrictBool, Text

Short = Annotated[Text, Field(max_length=100)]
FlagCode = Annotated[Code, Field(min_length=2, max_length=32)]
ProductCode = Annotated[Code, Field(min_length=2, max_length=32)]
Reason = Annotated[Text, Field(max_length=400)]


class AccountListQuery(Schema):
    """Filters of the account list (all optional; text, parsed and checked by the
    selector, which names the field and the rule of a bad one)."""

    number: Short | None = Field(None, description="start of the account number")
    name: Short | None = Field(None, description="part of the client's English or Chinese name")
    id_number: Short | None = None
    phone: Short | None = Field(None, description="E.164, or a Hong Kong number")
    client_no: Short | None = Field(None, description="start of the client number")
    status: Short | None = Field(None, description="pending, active, rejected, closed")
    frozen: Short | None = Field(None, description="true or false")
    client_status: Short | None = Field(None, description="active, frozen, closed")
    type: Short | None = Field(None, description="cash or margin")
    client_kind: Short | None = Field(None, description="individual, corporate, joint")
    flag: Short | None = Field(None, description="flag codes, comma-separated (any of them)")
    opened_from: Short | None = Field(None, description="YYYY-MM-DD")
    opened_to: Short | None = Field(None, description="YYYY-MM-DD")
    sort: Short | None = Field(None, description="number, -number, opened_on, -opened_on")
    after: Annotated[Code, Field(max_length=200)] | None = Field(
        None, description="the page's next_after"
    )
    limit: Short | None = Field(None, description="20, 50, 100 or 200")


class FlagOut(Schema):
    code: str
    name: str
    name_hant: str
    name_hans: str
    colour: str


class FlagDefOut(FlagOut):
    active: bool


class AccountRowOut(Schema):
    number: str
    client_no: str
    client_name_en: str
    client_name_zh: str
    client_kind: str
    client_status: str
    id_type: str
    id_number: str
    phone: str
    type: str
    status: str
    frozen: bool
    base_currency: str
    opened_on: dt.date | None
    main_account: str | None
    flags: list[FlagOut]


class AccountPageOut(Schema):
    items: list[AccountRowOut]
    next_after: str | None
    total: int
    total_exact: bool = Field(description="false: at least `total` accounts match")
    sort: str


class ColumnsIn(Input):
    columns: list[Annotated[Code, Field(max_length=32)]] = Field(max_length=40)


class ColumnsOut(Schema):
    columns: list[str]
    available: list[str]


class RightOut(Schema):
    product: str
    name: str
    name_hant: str
    name_hans: str
    product_active: bool
    supported: bool
    enabled: bool
    effective_from: dt.date | None
    reason: str
    changed_at: dt.datetime | None
    in_force: bool


class RightsOut(Schema):
    account: str
    account_type: str
    account_status: str
    frozen: bool
    client_no: str
    rights: list[RightOut]


class ChangeIn(Input):
    product: ProductCode
    enabled: StrictBool
    effective_from: Day | None = None


class PermissionsChangeIn(Input):
    changes: list[ChangeIn] = Field(min_length=1, max_length=50)
    reason: Reason


class MayTradeOut(Schema):
    allowed: bool
    reason: str = Field(description="empty when allowed; else a stable code")
    message: str


class ProductIn(Input):
    code: ProductCode
    name: Annotated[Text, Field(max_length=200)]
    name_hant: Annotated[Text, Field(max_length=200)] = ""
    name_hans: Annotated[Text, Field(max_length=200)] = ""
    account_types: list[Annotated[Code, Field(max_length=16)]] = Field(max_length=4)
    sort_order: int = Field(100, ge=0, le=100000)


class ProductUpdateIn(Input):
    name: Annotated[Text, Field(max_length=200)]
    name_hant: Annotated[Text, Field(max_length=200)] = ""
    name_hans: Annotated[Text, Field(max_length=200)] = ""
    account_types: list[Annotated[Code, Field(max_length=16)]] = Field(max_length=4)
    active: StrictBool = True
    sort_order: int = Field(100, ge=0, le=100000)


class ProductOut(Schema):
    code: str
    name: str
    name_hant: str
    name_hans: str
    account_types: list[str]
    margin_only: bool
    active: bool
    sort_order: int


class FlagIn(Input):
    code: FlagCode
    name: Annotated[Text, Field(max_length=100)]
    name_hant: Annotated[Text, Field(max_length=100)]
    name_hans: Annotated[Text, Field(max_length=100)]
    colour: Annotated[Code, Field(max_length=7)]


class FlagUpdateIn(Input):
    name: Annotated[Text, Field(max_length=100)]
    name_hant: Annotated[Text, Field(max_length=100)]
    name_hans: Annotated[Text, Field(max_length=100)]
    colour: Annotated[Code, Field(max_length=7)]
    active: StrictBool = True


class FlagBulkIn(Input):
    accounts: list[Annotated[Code, Field(max_length=16)]] = Field(min_length=1, max_length=1000)
    reason: Reason = ""


class FlagResultOut(Schema):
    account: str
    outcome: str = Field(description="set, already_set, unset, not_set or not_found")


class RecordQuery(Schema):
    person: Short | None = None
    account: Short | None = None
    client: Short | None = None
    action: Short | None = None
    ip: Short | None = None
    date_from: Short | None = Field(None, description="YYYY-MM-DD")
    date_to: Short | None = Field(None, description="YYYY-MM-DD")
    after: Short | None = None


class DeviceQuery(RecordQuery):
    kind: Short | None = Field(None, description="client (default) or staff")
    result: Short | None = None


class OperationOut(Schema):
    seq: int
    at: dt.datetime
    person: str
    action: str
    object_type: str
    object: str
    ip: str
    channel: str
    before: Any = None
    after: Any = None
    reason: str
    approval_request_id: str


class OperationPageOut(Schema):
    items: list[OperationOut]
    next_after: int | None


class DeviceOut(Schema):
    id: int
    kind: str
    at: dt.datetime
    person: str
    client_no: str
    client_name: str
    ip: str
    device: str
    app_version: str
    result: str


class DevicePageOut(Schema):
    items: list[DeviceOut]
    next_after: int | None
