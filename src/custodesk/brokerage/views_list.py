"""Console pages of the account list (帳戶列表), trading permissions (交易權限), the
product catalogue, account flags (帳戶標識) and the records query (記錄查詢).

Each view parses the request, calls one selector or service, and renders plain rows.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext as _

from custodesk.approvals import services as approval_services
from custodesk.console.decorators import console_view
from custodesk.console.errors import error_text
from custodesk.core import access, clock
from custodesk.core.errors import DomainError, ValidationFailed
from custodesk.core.exports import csv_copy_response, tabular_response

from . import extensions
from . import permissions_list as perms
from .approvals_list import PERMISSIONS_CHANGE
from .models import AccountFlag
from .selectors import list as account_list
from .selectors import list_export, records
from .selectors import permissions as rights
from .services import columns as columns_svc
from .services import flags as flag_svc
from .services import permissions as perm_svc

# B1's pages (brokerage-core) the row menu links to, when they are installed
DETAIL_URL = "console:brokerage_account"
ACTION_URLS = (
    ("freeze", "console:brokerage_account_freeze"),
    ("unfreeze", "console:brokerage_account_unfreeze"),
    ("close", "console:brokerage_account_close"),
)


def _user(request: HttpRequest) -> Any:
    return request.user


def _url(name: str, *args: Any) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _params(request: HttpRequest) -> dict[str, str]:
    return {k: str(v).strip() for k, v in request.GET.items() if str(v).strip()}


def _errors(request: HttpRequest, exc: DomainError) -> list[str]:
    if isinstance(exc, ValidationFailed):
        return [f"{e.field}: {e.message}" for e in exc.errors]
    return [error_text(exc)]


# -- the account list -------------------------------------------------------------------
@console_view
def accounts(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    access.require(user, perms.ACCOUNT_LIST)
    params = _params(request)
    columns = columns_svc.columns_of(user)
    page = None
    errors: list[str] = []
    try:
        page = account_list.account_page(actor=user, params=params)
    except ValidationFailed as exc:
        errors = _errors(request, exc)
    rows = page.rows if page else []
    for r in rows:
        r["detail_url"] = _url(DETAIL_URL, r["number"])
        r["rights_url"] = reverse("console:brokerage_rights", args=[r["number"]])
        r["actions"] = [
            (key, u) for key, u in ((k, _url(n, r["number"])) for k, n in ACTION_URLS) if u
        ]
    bulk_actions = extensions.bulk_actions_for(user)
    filters = [
        {
            "name": f.name,
            "label": f.label,
            "kind": f.kind,
            "value": params.get(f.name, ""),
            "choices": f.choices() if f.choices else [],
        }
        for f in account_list.filters()
    ]
    return render(
        request,
        "brokerage/list_accounts.html",
        {
            "rows": rows,
            "page": page,
            "errors": errors,
            "filters": filters,
            "params": params,
            "paged": "after" in params,
            "columns": columns,
            "all_columns": [(c.key, c.label) for c in list_export.COLUMNS],
            "sorts": list(account_list.SORTS),
            "flags": list(AccountFlag.objects.filter(active=True).order_by("code")),
            "can_flag": user.has_permission(perms.FLAG_MANAGE),
            "bulk_actions": bulk_actions,
            "can_select": user.has_permission(perms.FLAG_MANAGE) or bool(bulk_actions),
            "can_export": user.has_permission(perms.ACCOUNT_EXPORT),
        },
    )


@console_view
def accounts_export(request: HttpRequest) -> HttpResponseBase:
    user = _user(request)
    access.require(user, perms.ACCOUNT_EXPORT)
    params = {k: v for k, v in _params(request).items() if k not in ("after", "limit", "format")}
    fmt = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
    try:
        account_list.parse_filters(params)
    except ValidationFailed as exc:
        for e in _errors(request, exc):
            messages.error(request, e)
        return redirect("console:brokerage_accounts")
    if fmt == "csv" and connection.vendor == "postgresql":
        sql, sql_params = list_export.export_sql(actor=user, params=params)
        return csv_copy_response(list_export.EXPORT_COLUMNS, sql, sql_params, "accounts")
    rows = list_export.export_rows(actor=user, params=params)
    return tabular_response(list_export.EXPORT_COLUMNS, rows, fmt, "accounts", sheet="accounts")


@console_view
def columns(request: HttpRequest) -> HttpResponseBase:
    if request.method == "POST":
        try:
            columns_svc.columns_choose(
                actor=_user(request), columns=request.POST.getlist("columns"), now=clock.now()
            )
            messages.success(request, _("Columns saved."))
        except DomainError as exc:
            messages.error(request, error_text(exc))
    back = request.POST.get("back", "")
    return redirect(reverse("console:brokerage_accounts") + (back if back.startswith("?") else ""))


@console_view
def flag_bulk(request: HttpRequest) -> HttpResponseBase:
    """The list's batch bar: set or unset a flag on the ticked accounts."""
    back = request.POST.get("back", "")
    target = reverse("console:brokerage_accounts") + (back if back.startswith("?") else "")
    if request.method != "POST":
        return redirect(target)
    service = flag_svc.flags_unset if request.POST.get("op") == "unset" else flag_svc.flags_set
    try:
        results = service(
            actor=_user(request),
            flag_code=request.POST.get("flag", ""),
            account_numbers=request.POST.getlist("accounts"),
            reason=request.POST.get("reason", ""),
            now=clock.now(),
        )
    except DomainError as exc:
        for e in _errors(request, exc):
            messages.error(request, e)
        return redirect(target)
    labels = {
        "set": _("flag set"),
        "already_set": _("already set"),
        "unset": _("flag removed"),
        "not_set": _("was not set"),
        "not_found": _("no such account"),
    }
    for r in results:
        messages.info(request, f"{r.account}: {labels.get(r.outcome, r.outcome)}")
    return redirect(target)


# -- trading permissions ----------------------------------------------------------------
def _changes_from(
    post: Any, state: dict[str, Any]
) -> tuple[list[perm_svc.PermissionChange], list[str]]:
    changes, errors = [], []
    for r in state["rights"]:
        code = r["product"]
        enabled = post.get(f"enabled_{code}") == "on"
        raw = post.get(f"effective_{code}", "").strip()
        day = None
        if raw:
            try:
                day = dt.date.fromisoformat(raw)
            except ValueError:
                errors.append(_("%(product)s: enter the date as YYYY-MM-DD.") % {"product": code})
                continue
        if enabled != r["enabled"] or (enabled and day != r["effective_from"]):
            changes.append(perm_svc.PermissionChange(code, enabled, day if enabled else None))
    return changes, errors


@console_view
def account_rights(request: HttpRequest, number: str) -> HttpResponse:
    user = _user(request)
    state = rights.account_rights(actor=user, account_number=number, today=clock.business_date())
    errors: list[str] = []
    reason = ""
    if request.method == "POST":
        access.require(user, perms.PERMISSION_MANAGE)
        reason = request.POST.get("reason", "")
        changes, errors = _changes_from(request.POST, state)
        if not errors:
            try:
                sub = approval_services.submit(
                    actor=user,
                    action_type=PERMISSIONS_CHANGE,
                    payload={
                        "account": number,
                        "changes": [
                            {
                                "product": c.product,
                                "enabled": c.enabled,
                                "effective_from": c.effective_from,
                            }
                            for c in changes
                        ],
                        "reason": reason,
                    },
                    comment=reason,
                    now=clock.now(),
                )
            except DomainError as exc:
                errors = _errors(request, exc)
            else:
                if sub.executed:
                    messages.success(request, _("Trading permissions changed."))
                else:
                    messages.success(
                        request,
                        _("Submitted for approval — request %(id)s.")
                        % {"id": sub.request.public_id},
                    )
                return redirect("console:brokerage_rights", number)
    return render(
        request,
        "brokerage/list_rights.html",
        {
            "state": state,
            "errors": errors,
            "reason": reason,
            "can_change": user.has_permission(perms.PERMISSION_MANAGE),
            "detail_url": _url(DETAIL_URL, number),
        },
    )


@console_view
def products(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    access.require(user, perms.PERMISSION_VIEW)
    errors: list[str] = []
    if request.method == "POST":
        p = request.POST
        try:
            kwargs: dict[str, Any] = {
                "code": p.get("code", "").strip(),
                "name": p.get("name", ""),
                "name_hant": p.get("name_hant", ""),
                "name_hans": p.get("name_hans", ""),
                "account_types": p.getlist("account_types"),
                "now": clock.now(),
            }
            if p.get("op") == "update":
                perm_svc.product_update(
                    actor=user,
                    active=p.get("active") == "on",
                    sort_order=int(p.get("sort_order") or 100),
                    **kwargs,
                )
            else:
                perm_svc.product_create(actor=user, **kwargs)
            messages.success(request, _("Trading product saved."))
            return redirect("console:brokerage_products")
        except ValueError:
            errors = [_("sort_order: enter a whole number.")]
        except DomainError as exc:
            errors = _errors(request, exc)
    return render(
        request,
        "brokerage/list_products.html",
        {
            "products": rights.products(),
            "errors": errors,
            "can_manage": user.has_permission(perms.PRODUCT_MANAGE),
        },
    )


@console_view
def flags(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    access.require(user, perms.FLAG_MANAGE)
    errors: list[str] = []
    if request.method == "POST":
        p = request.POST
        kwargs: dict[str, Any] = {
            "code": p.get("code", "").strip(),
            "name": p.get("name", ""),
            "name_hant": p.get("name_hant", ""),
            "name_hans": p.get("name_hans", ""),
            "colour": p.get("colour", ""),
            "now": clock.now(),
        }
        try:
            if p.get("op") == "update":
                flag_svc.flag_update(actor=user, active=p.get("active") == "on", **kwargs)
            else:
                flag_svc.flag_create(actor=user, **kwargs)
            messages.success(request, _("Account flag saved."))
            return redirect("console:brokerage_flags")
        except DomainError as exc:
            errors = _errors(request, exc)
    return render(
        request,
        "brokerage/list_flags.html",
        {
            "flags": list(AccountFlag.objects.order_by("code")),
            "errors": errors,
        },
    )


# -- records query ------------------------------------------------------------------------
@console_view
def records_query(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    params = _params(request)
    tab = "devices" if params.get("tab") == "devices" else "operations"
    errors: list[str] = []
    page = None
    try:
        page = (records.device_page if tab == "devices" else records.operation_page)(
            actor=user, params=params
        )
    except ValidationFailed as exc:
        errors = _errors(request, exc)
    return render(
        request,
        "brokerage/list_records.html",
        {
            "tab": tab,
            "params": params,
            "page": page,
            "errors": errors,
            "rows": page.rows if page else [],
        },
    )


@console_view
def records_export(request: HttpRequest) -> HttpResponseBase:
    user = _user(request)
    params = {k: v for k, v in _params(request).items() if k not in ("after", "format")}
    fmt = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
    try:
        if params.get("tab") == "devices":
            records.devices(actor=user, params=params)
            return tabular_response(
                records.DEVICE_COLUMNS,
                records.device_export(actor=user, params=params),
                fmt,
                "login-devices",
                sheet="login devices",
            )
        records.operations(actor=user, params=params)
        return tabular_response(
            records.OPERATION_COLUMNS,
            records.operation_export(actor=user, params=params),
            fmt,
            "operation-records",
            sheet="operation records",
        )
    except ValidationFailed as exc:
        for e in _errors(request, exc):
            messages.error(request, e)
        return redirect("console:brokerage_records")


urlpatterns = [
    path("brokerage/accounts/", accounts, name="brokerage_accounts"),
    path("brokerage/accounts/export/", accounts_export, name="brokerage_accounts_export"),
    path("brokerage/accounts/columns/", columns, name="brokerage_list_columns"),
    path("brokerage/accounts/flags/", flag_bulk, name="brokerage_flag_bulk"),
    path(
        "brokerage/accounts/<str:number>/trading-permissions/",
        account_rights,
        name="brokerage_rights",
    ),
    path("brokerage/products/", products, name="brokerage_products"),
    path("brokerage/flags/", flags, name="brokerage_flags"),
    path("brokerage/records/", records_query, name="brokerage_records"),
    path("brokerage/records/export/", records_export, name="brokerage_records_export"),
]
