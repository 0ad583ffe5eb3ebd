"""Console pages of a client and its accounts (ACC-DETAIL): basic data, the linked
accounts to switch between, and the tabs — assets and transactions, operation records,
login devices, agents, related persons — with the row actions (freeze, unfreeze, lock,
unlock, close, deposit, withdrawal).  The account list (brokerage-list) links here."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from custodesk.console.decorators import console_view
from custodesk.core import access, clock
from custodesk.core.errors import PermissionDenied

from . import extensions
from . import permissions as perms
from . import presenters_core as present
from .models import Account, Client
from .selectors import detail
from .views_actions import user_of

TABS = {
    "assets": _("Assets and transactions"),
    "operations": _("Operation records"),
    "devices": _("Login devices"),
    "agents": _("Agents"),
    "related": _("Related persons"),
}


def _can(user: Any) -> dict[str, bool]:
    return {
        "manage": user.has_permission(perms.CLIENT_MANAGE),
        "open": user.has_permission(perms.ACCOUNT_OPEN),
        "security": user.has_permission(perms.SECURITY_ACTION),
        "cash": user.has_permission(perms.CASH_RECORD),
        "app_login": user.has_permission(perms.APP_LOGIN_MANAGE),
        "rights": user.has_permission(perms.PERMISSION_MANAGE),
    }


def _tab_data(user: Any, tab: str, client: Client, account: Account | None) -> dict[str, Any]:
    now = clock.now()
    extra = {t.code: t for t in extensions.tabs_for(user)}.get(tab)
    if extra is not None:
        return {"tab_template": extra.template, **extra.load(user, client, account)}
    if tab == "assets":
        if account is None:
            return {"pending_openings": detail.pending_openings(actor=user, client=client, now=now)}
        return {"assets": present.assets(detail.assets(actor=user, account=account, now=now))}
    if tab == "operations":
        try:
            return {"operations": list(detail.operations(actor=user, client=client))}
        except PermissionDenied:
            return {"operations": None}
    if tab == "devices":
        return {"devices": detail.login_devices(actor=user, client=client)}
    if tab == "agents":
        return {"agents": detail.agents(actor=user, client=client)}
    return {
        "related": [present.related(p) for p in detail.related_persons(actor=user, client=client)]
    }


def _rights_url(number: str) -> str | None:
    """The trading-permission page of an account (brokerage-list), when installed."""
    try:
        return reverse("console:brokerage_rights", args=[number])
    except NoReverseMatch:
        return None


def _page(request: HttpRequest, client: Client, account: Account | None) -> HttpResponse:
    user = user_of(request)
    tabs = [*TABS.items(), *((t.code, t.label) for t in extensions.tabs_for(user))]
    tab = request.GET.get("tab", "assets")
    if tab not in dict(tabs):
        tab = "assets"
    context = {
        "client": client,
        "account": present.account_brief(account) if account else None,
        "linked": [
            present.account_brief(a) | {"rights_url": _rights_url(a.number)}
            for a in detail.linked_accounts(client)
        ],
        "holders": detail.holders(client),
        "joint_clients": detail.joint_memberships(client),
        "app_login": present.app_login(detail.app_login(client), clock.now()),
        "tab": tab,
        "tabs": tabs,
        "can": _can(user),
        **_tab_data(user, tab, client, account),
    }
    if request.headers.get("HX-Request") and request.GET.get("partial") == "tab":
        return render(request, "brokerage/_detail_tab.html", context)
    return render(request, "brokerage/detail.html", context)


@console_view
def account_detail(request: HttpRequest, number: str) -> HttpResponse:
    account = detail.account_by_number(actor=user_of(request), number=number)
    return _page(request, account.client, account)


@console_view
def client_detail(request: HttpRequest, client_no: str) -> HttpResponse:
    client = detail.client_by_number(actor=user_of(request), client_no=client_no)
    return _page(request, client, None)


@console_view
def clients(request: HttpRequest) -> HttpResponse:
    """Find a client by number, name (English/Chinese), ID number or phone."""
    user = user_of(request)
    access.require(user, perms.CLIENT_VIEW)
    q = request.GET.get("q", "").strip()[:100]
    found = detail.clients_search(actor=user, q=q) if q else []
    return render(
        request,
        "brokerage/clients.html",
        {"q": q, "found": found, "can_register": user.has_permission(perms.CLIENT_MANAGE)},
    )
