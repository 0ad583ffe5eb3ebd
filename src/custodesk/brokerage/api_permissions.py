"""API of trading permissions (ACC-PERM: the catalogue, an account's rights, the order
system's may-trade question) and account flags (ACC-FLAG)."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from custodesk.approvals import services as approval_services
from custodesk.approvals.presenters import submitted_body
from custodesk.approvals.schemas import SubmittedOut
from custodesk.core import access, clock
from custodesk.core.apiauth import actor, auth
from custodesk.core.schema_types import OneOf

from . import permissions_list as perms
from .approvals_list import PERMISSIONS_CHANGE
from .models import AccountFlag
from .schemas_list import (
    FlagBulkIn,
    FlagCode,
    FlagDefOut,
    FlagIn,
    FlagResultOut,
    FlagUpdateIn,
    MayTradeOut,
    PermissionsChangeIn,
    ProductCode,
    ProductIn,
    ProductOut,
    ProductUpdateIn,
    RightsOut,
)
from .selectors import permissions as rights
from .services import flags as flag_svc
from .services import permissions as perm_svc

router = Router(auth=auth)


class MayTradeQuery(Schema):
    product: ProductCode
    side: Annotated[str, OneOf(("buy", "sell"))]


@router.get("/accounts/{number}/may-trade", response=MayTradeOut, tags=["brokerage: trading"])
def may_trade(request: HttpRequest, number: str, q: Query[MayTradeQuery]) -> Any:
    """The order system asks: may this account trade this product (buy / sell) today?
    `allowed` false names the first reason (`account_closed`, `account_not_active`,
    `account_frozen`, `client_closed`, `client_frozen`, `client_locked`,
    `product_inactive`, `account_type_unsupported`, `product_not_enabled`,
    `product_not_effective`).  404 for an unknown account or product."""
    return rights.may_trade(
        actor=actor(request),
        account_number=number[:16],
        product=q.product,
        side=q.side,
        today=clock.business_date(),
    )


@router.get(
    "/accounts/{number}/trading-permissions", response=RightsOut, tags=["brokerage: trading"]
)
def account_rights(request: HttpRequest, number: str) -> dict[str, Any]:
    """Every product: selected or not, supported by the account type, in force today."""
    return rights.account_rights(
        actor=actor(request), account_number=number[:16], today=clock.business_date()
    )


@router.post(
    "/accounts/{number}/trading-permissions",
    response={200: SubmittedOut, 202: SubmittedOut},
    tags=["brokerage: trading"],
)
def change_rights(
    request: HttpRequest, number: str, payload: PermissionsChangeIn
) -> tuple[int, dict[str, Any]]:
    """Enable / disable products on an account, with a reason and optional effective
    dates.  Approvable (dual control by default): 202 with the pending request, 200
    when the flow applied it at once.  422 `account_type_unsupported` when a cash
    account is given a margin product."""
    sub = approval_services.submit(
        actor=actor(request),
        action_type=PERMISSIONS_CHANGE,
        payload={
            "account": number[:16],
            "changes": [c.dict() for c in payload.changes],
            "reason": payload.reason,
        },
        comment=payload.reason,
        now=clock.now(),
    )
    return (200 if sub.executed else 202), submitted_body(sub)


@router.get("/products", response=list[ProductOut], tags=["brokerage: trading"])
def list_products(request: HttpRequest) -> Any:
    access.require(actor(request), perms.PERMISSION_VIEW)
    return rights.products()


@router.post("/products", response={201: ProductOut}, tags=["brokerage: trading"])
def create_product(request: HttpRequest, payload: ProductIn) -> tuple[int, Any]:
    return 201, perm_svc.product_create(actor=actor(request), now=clock.now(), **payload.dict())


@router.put("/products/{code}", response=ProductOut, tags=["brokerage: trading"])
def update_product(request: HttpRequest, code: str, payload: ProductUpdateIn) -> Any:
    return perm_svc.product_update(
        actor=actor(request), code=code[:32], now=clock.now(), **payload.dict()
    )


# -- flags ------------------------------------------------------------------------------
@router.get("/flags", response=list[FlagDefOut], tags=["brokerage: flags"])
def list_flags(request: HttpRequest) -> Any:
    access.require(actor(request), perms.ACCOUNT_LIST)
    return list(AccountFlag.objects.order_by("code"))


@router.post("/flags", response={201: FlagDefOut}, tags=["brokerage: flags"])
def create_flag(request: HttpRequest, payload: FlagIn) -> tuple[int, Any]:
    """Define a flag: code, names in three languages, colour `#RRGGBB`."""
    return 201, flag_svc.flag_create(actor=actor(request), now=clock.now(), **payload.dict())


@router.put("/flags/{code}", response=FlagDefOut, tags=["brokerage: flags"])
def update_flag(request: HttpRequest, code: FlagCode, payload: FlagUpdateIn) -> Any:
    return flag_svc.flag_update(actor=actor(request), code=code, now=clock.now(), **payload.dict())


@router.post("/flags/{code}/set", response=list[FlagResultOut], tags=["brokerage: flags"])
def set_flag(request: HttpRequest, code: FlagCode, payload: FlagBulkIn) -> Any:
    """Set the flag on one or many accounts (at most 1,000): an answer per account."""
    return flag_svc.flags_set(
        actor=actor(request),
        flag_code=code,
        now=clock.now(),
        account_numbers=payload.accounts,
        reason=payload.reason,
    )


@router.post("/flags/{code}/unset", response=list[FlagResultOut], tags=["brokerage: flags"])
def unset_flag(request: HttpRequest, code: FlagCode, payload: FlagBulkIn) -> Any:
    return flag_svc.flags_unset(
        actor=actor(request),
        flag_code=code,
        now=clock.now(),
        account_numbers=payload.accounts,
        reason=payload.reason,
    )
