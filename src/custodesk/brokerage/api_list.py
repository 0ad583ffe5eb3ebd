"""API of the account list (ACC-LIST) and the records query (REC-QUERY); the routers of
trading permissions and flags are joined to it (api_permissions.py)."""

from __future__ import annotations

from typing import Any, Literal

from django.db import connection
from django.http import HttpRequest, StreamingHttpResponse
from ninja import Query, Router

from custodesk.core import access, clock
from custodesk.core.apiauth import actor, auth
from custodesk.core.exports import csv_copy_response, tabular_response
from custodesk.core.schema_types import download

from . import api_permissions
from . import permissions_list as perms
from .schemas_list import (
    AccountListQuery,
    AccountPageOut,
    ColumnsIn,
    ColumnsOut,
    DevicePageOut,
    DeviceQuery,
    OperationPageOut,
    RecordQuery,
)
from .selectors import list as account_list
from .selectors import list_export, records
from .services import columns as columns_svc

router = Router(auth=auth, tags=["brokerage: account list"])


def _params(q: Any) -> dict[str, str]:
    return {k: v for k, v in q.dict(exclude_none=True).items() if v != ""}


@router.get("/accounts", response=AccountPageOut)
def list_accounts(request: HttpRequest, q: Query[AccountListQuery]) -> dict[str, Any]:
    """The account list: filters combine (AND); `flag` matches any of the given codes.
    Keyset pages: pass `next_after` as `after` (same filters and sort).  `total` is
    counted up to 200 (`total_exact` false beyond)."""
    page = account_list.account_page(actor=actor(request), params=_params(q))
    return {
        "items": page.rows,
        "next_after": page.next_after,
        "total": page.total,
        "total_exact": page.total_exact,
        "sort": page.sort,
    }


@router.get("/export/accounts", response={200: None}, openapi_extra=download())
def export_accounts(
    request: HttpRequest, q: Query[AccountListQuery], format: Literal["csv", "xlsx"] = "csv"
) -> StreamingHttpResponse:
    """Every account the filters select (no paging), streamed: CSV row by row, XLSX
    through a temporary file; constant memory either way."""
    user = actor(request)
    access.require(user, perms.ACCOUNT_EXPORT)
    params = {k: v for k, v in _params(q).items() if k not in ("after", "limit")}
    account_list.parse_filters(params)  # a bad filter is refused before the answer starts
    if format == "csv" and connection.vendor == "postgresql":
        sql, sql_params = list_export.export_sql(actor=user, params=params)
        return csv_copy_response(list_export.EXPORT_COLUMNS, sql, sql_params, "accounts")
    rows = list_export.export_rows(actor=user, params=params)

    def all_rows() -> Any:
        yield from rows

    return tabular_response(
        list_export.EXPORT_COLUMNS, all_rows(), format, "accounts", sheet="accounts"
    )


@router.get("/account-list/columns", response=ColumnsOut)
def get_columns(request: HttpRequest) -> dict[str, Any]:
    """The columns the caller chose for the account list (defaults until it chooses)."""
    user = actor(request)
    access.require(user, perms.ACCOUNT_LIST)
    return {"columns": columns_svc.columns_of(user), "available": list(list_export.COLUMN_KEYS)}


@router.put("/account-list/columns", response=ColumnsOut)
def put_columns(request: HttpRequest, payload: ColumnsIn) -> dict[str, Any]:
    chosen = columns_svc.columns_choose(
        actor=actor(request), columns=payload.columns, now=clock.now()
    )
    return {"columns": chosen, "available": list(list_export.COLUMN_KEYS)}


# -- records query --------------------------------------------------------------------
@router.get("/records/operations", response=OperationPageOut, tags=["brokerage: records"])
def operations(request: HttpRequest, q: Query[RecordQuery]) -> dict[str, Any]:
    """Operation records on clients, accounts, products and flags, newest first;
    `account` also brings its client's records.  Keyset: `after` = `next_after`."""
    page = records.operation_page(actor=actor(request), params=_params(q))
    return {"items": page.rows, "next_after": page.next_after}


@router.get(
    "/records/operations/export",
    response={200: None},
    openapi_extra=download(),
    tags=["brokerage: records"],
)
def export_operations(
    request: HttpRequest, q: Query[RecordQuery], format: Literal["csv", "xlsx"] = "csv"
) -> StreamingHttpResponse:
    params = {k: v for k, v in _params(q).items() if k != "after"}
    user = actor(request)
    records.operations(actor=user, params=params)  # a bad filter: refused before streaming
    return tabular_response(
        records.OPERATION_COLUMNS,
        records.operation_export(actor=user, params=params),
        format,
        "operation-records",
        sheet="operation records",
    )


@router.get("/records/login-devices", response=DevicePageOut, tags=["brokerage: records"])
def login_devices(request: HttpRequest, q: Query[DeviceQuery]) -> dict[str, Any]:
    """Login-device records of clients (`kind=client`, the client app) or staff."""
    page = records.device_page(actor=actor(request), params=_params(q))
    return {"items": page.rows, "next_after": page.next_after}


@router.get(
    "/records/login-devices/export",
    response={200: None},
    openapi_extra=download(),
    tags=["brokerage: records"],
)
def export_login_devices(
    request: HttpRequest, q: Query[DeviceQuery], format: Literal["csv", "xlsx"] = "csv"
) -> StreamingHttpResponse:
    params = {k: v for k, v in _params(q).items() if k != "after"}
    user = actor(request)
    records.devices(actor=user, params=params)
    return tabular_response(
        records.DEVICE_COLUMNS,
        records.device_export(actor=user, params=params),
        format,
        "login-devices",
        sheet="login devices",
    )


router.add_router("", api_permissions.router)
