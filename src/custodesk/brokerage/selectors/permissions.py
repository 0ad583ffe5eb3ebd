"""Reads of trading permissions (ACC-PERM): an account's rights, and the order system's
question "may account X trade product Y (buy / sell) today?".

:func:`may_trade` runs the checks in order and answers with the first refusal; later
modules add their own checks with :func:`register_trade_check` (the BCAN / HKIDR issue:
no consent → sell orders only) without touching this file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from custodesk.core import access
from custodesk.core.errors import NotFound

from .. import permissions_list as perms
from ..models import Account, AccountPermission, Client, ClientAppLogin, TradingProduct

SIDES = ("buy", "sell")


def supports(product: TradingProduct, account_type: str) -> bool:
    """Whether an account of this type may ever hold the product."""
    if product.margin_only and account_type != Account.Type.MARGIN:
        return False
    return account_type in (product.account_types or [])


def products(*, active_only: bool = False) -> list[TradingProduct]:
    qs = TradingProduct.objects.all()
    if active_only:
        qs = qs.filter(active=True)
    return list(qs.order_by("sort_order", "code"))


def in_force(
    p: AccountPermission | None, product: TradingProduct, account: Account, today: dt.date
) -> bool:
    return (
        p is not None
        and p.enabled
        and product.active
        and supports(product, account.type)
        and (p.effective_from is None or p.effective_from <= today)
    )


def account_rights(
    *, actor: access.Principal, account_number: str, today: dt.date
) -> dict[str, Any]:
    """Every product with what the account selected and what is in force (plain rows)."""
    access.require(actor, perms.PERMISSION_VIEW)
    account = Account.objects.select_related("client").filter(number=account_number).first()
    if account is None:
        raise NotFound(object="account", number=account_number)
    selected = {p.product_id: p for p in AccountPermission.objects.filter(account=account)}
    rows = []
    for product in products():
        p = selected.get(product.pk)
        rows.append(
            {
                "product": product.code,
                "name": product.name,
                "name_hant": product.name_hant,
                "name_hans": product.name_hans,
                "product_active": product.active,
                "supported": supports(product, account.type),
                "enabled": bool(p and p.enabled),
                "effective_from": p.effective_from if p else None,
                "reason": p.reason if p else "",
                "changed_at": p.changed_at if p else None,
                "in_force": in_force(p, product, account, today),
            }
        )
    return {
        "account": account.number,
        "account_type": account.type,
        "account_type_label": account.get_type_display(),
        "account_status": account.status,
        "frozen": account.frozen,
        "client_no": account.client.client_no,
        "client_name_en": account.client.name_en,
        "client_name_zh": account.client.name_zh,
        "rights": rows,
    }


@dataclass(frozen=True)
class TradeAnswer:
    allowed: bool
    reason: str  # "" when allowed, else a stable code
    message: str


TradeCheck = Callable[[Account, TradingProduct, str, dt.date], "TradeAnswer | None"]
_checks: list[tuple[int, TradeCheck]] = []


def register_trade_check(check: TradeCheck, order: int = 100) -> None:
    """Add a refusal rule (``check(account, product, side, today)`` → a refusing
    :class:`TradeAnswer` or None); the built-in ones run first (orders 10–60)."""
    _checks.append((order, check))
    _checks.sort(key=lambda c: c[0])


def _no(reason: str, message: str) -> TradeAnswer:
    return TradeAnswer(False, reason, message)


def _account_state(a: Account, p: TradingProduct, side: str, today: dt.date) -> TradeAnswer | None:
    if a.status == Account.Status.CLOSED:
        return _no("account_closed", _("The account is closed."))
    if a.status != Account.Status.ACTIVE:
        return _no(
            "account_not_active",
            _("The account is not open (%(status)s).") % {"status": a.get_status_display()},
        )
    if a.frozen:
        return _no("account_frozen", _("The account is frozen."))
    return None


def _client_state(a: Account, p: TradingProduct, side: str, today: dt.date) -> TradeAnswer | None:
    c = a.client
    if c.status == Client.Status.CLOSED:
        return _no("client_closed", _("The client is closed."))
    if c.status == Client.Status.FROZEN:
        return _no("client_frozen", _("The client is frozen."))
    login = ClientAppLogin.objects.filter(client=c).only("status").first()
    if login is not None and login.status == ClientAppLogin.Status.LOCKED:
        return _no("client_locked", _("The client's app login is locked."))
    return None


def _product_right(a: Account, p: TradingProduct, side: str, today: dt.date) -> TradeAnswer | None:
    if not p.active:
        return _no("product_inactive", _("This product is withdrawn."))
    if not supports(p, a.type):
        return _no("account_type_unsupported", _("The account type does not support this product."))
    right = AccountPermission.objects.filter(account=a, product=p).first()
    if right is None or not right.enabled:
        return _no("product_not_enabled", _("The account is not allowed to trade this product."))
    if right.effective_from is not None and right.effective_from > today:
        return _no(
            "product_not_effective",
            _("The right takes effect on %(day)s.") % {"day": right.effective_from.isoformat()},
        )
    return None


register_trade_check(_account_state, 10)
register_trade_check(_client_state, 20)
register_trade_check(_product_right, 30)


def may_trade(
    *, actor: access.Principal, account_number: str, product: str, side: str, today: dt.date
) -> TradeAnswer:
    """The order system's question.  Raises PermissionDenied, NotFound (account or
    product unknown)."""
    access.require(actor, perms.TRADE_CHECK)
    account = Account.objects.select_related("client").filter(number=account_number).first()
    if account is None:
        raise NotFound(object="account", number=account_number)
    prod = TradingProduct.objects.filter(code=product).first()
    if prod is None:
        raise NotFound(object="trading_product", code=product)
    for _order, check in _checks:
        answer = check(account, prod, side, today)
        if answer is not None:
            return answer
    return TradeAnswer(True, "", "")
