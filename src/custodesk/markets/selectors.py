"""Reads of trading markets, scoped to who asks.

Staff holding ``markets.market.view`` see every market; a market's own users holding
``markets.own_market.view`` see their own market only — any other market is *not
found* (404), never forbidden."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from custodesk.core.errors import NotFound, PermissionDenied
from custodesk.ledger import facade as ledger

from . import permissions as perms
from .models import Market, MarketLedgerAccount, ServiceAgreement


def active_markets() -> QuerySet[Market]:
    """Markets open for business (members sign contracts with these), by code."""
    return Market.objects.filter(status=Market.Status.ACTIVE).order_by("code")


def market_for_user(user: Any) -> Market | None:
    """The market whose organisation ``user`` belongs to (a market's own user), else None."""
    return Market.objects.filter(organisation_id=user.organisation_id).first()


def visible_markets(actor: Any) -> QuerySet[Market]:
    """Every market for staff; the own market for its users.  Raises PermissionDenied."""
    if actor.has_permission(perms.MARKET_VIEW):
        return Market.objects.all()
    if actor.has_permission(perms.OWN_MARKET_VIEW):
        return Market.objects.filter(organisation_id=actor.organisation_id)
    raise PermissionDenied(permission=perms.MARKET_VIEW)


def market_list(*, actor: Any, status: str | None = None, q: str | None = None) -> QuerySet[Market]:
    qs = visible_markets(actor).select_related("organisation", "summary_branch")
    qs = qs.prefetch_related("ledger_accounts")
    if status:
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(Q(code__icontains=q) | Q(name__icontains=q))
    return qs.order_by("code")


def market_get(*, actor: Any, market_id: Any, for_update: bool = False) -> Market:
    """One market the actor may see.  Raises PermissionDenied, NotFound."""
    qs = visible_markets(actor).select_related("organisation", "summary_branch")
    if for_update:
        qs = qs.select_for_update(of=("self",))
    market = qs.filter(public_id=market_id).first()
    if market is None:
        raise NotFound(object="market")
    return market


def market_by_id(market_id: Any) -> Market | None:
    """Unscoped, for other modules' services that have already scoped their own object."""
    return Market.objects.filter(public_id=market_id).first()


def ledger_accounts(market: Market) -> dict[str, MarketLedgerAccount]:
    """The market's ledger account ids by currency."""
    return {a.currency: a for a in MarketLedgerAccount.objects.filter(market=market)}


def agreements(market: Market) -> QuerySet[ServiceAgreement]:
    """Every version, newest first."""
    return ServiceAgreement.objects.filter(market=market).order_by("-version")


def current_agreement(market: Market) -> ServiceAgreement | None:
    """The version a member accepts today (the market's ``agreement_version``)."""
    return ServiceAgreement.objects.filter(market=market, version=market.agreement_version).first()


def market_state(market: Market) -> dict[str, Any]:
    """What the operation records keep of a market (before/after)."""
    return {
        "code": market.code,
        "name": market.name,
        "status": market.status,
        "summary_account_no": market.summary_account_no,
        "summary_account_name": market.summary_account_name,
        "summary_bank": market.summary_bank,
        "summary_branch_code": market.summary_branch.code if market.summary_branch else "",
        "b2b_review": market.b2b_review,
        "currencies": list(market.currencies),
        "agreement_version": market.agreement_version,
    }


def account_rows(*, actor: Any, market: Market) -> list[dict[str, Any]]:
    """The market's ledger accounts with their balances, one row per currency (minor
    units).  The summary account is the money at the bank (debits − credits), the
    suspense account what is owed to payers not yet identified (credits − debits)."""
    rows = []
    for row in MarketLedgerAccount.objects.filter(market=market).order_by("currency"):
        summary = ledger.account(actor=actor, account_id=row.summary_account_id)
        suspense = ledger.account(actor=actor, account_id=row.suspense_account_id)
        held = ledger.balances(actor=actor, account_id=row.summary_account_id)
        unmatched = ledger.balances(actor=actor, account_id=row.suspense_account_id)
        rows.append(
            {
                "currency": row.currency,
                "summary_code": summary.code,
                "summary_balance": -held.posted.minor,
                "suspense_code": suspense.code,
                "suspense_balance": unmatched.posted.minor,
            }
        )
    return rows
