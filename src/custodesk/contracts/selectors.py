"""Reads of the contracts module, scoped to who asks.

* a member's users see their own member's contracts;
* a market's users see the contracts (and members) of their own market only;
* the bank's staff see every contract.
Anything outside is NotFound (404), never 403.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from django.db.models import Q, QuerySet

from custodesk.approvals import presenters as approval_presenters
from custodesk.approvals import selectors as approval_selectors
from custodesk.core import access
from custodesk.core.errors import NotFound
from custodesk.identity.models import Organisation, User
from custodesk.ledger import facade as ledger
from custodesk.markets.models import Market, ServiceAgreement
from custodesk.members.models import BoundCard, MemberProfile

from . import permissions as perms
from .errors import ContractNotActive
from .models import Contract, ContractMarketState

ACTIONS = ("contracts.sign", "contracts.cancel")


def _scope(actor: User) -> Q:
    kind = actor.organisation.kind
    if kind == Organisation.Kind.STAFF:
        return Q()
    if kind == Organisation.Kind.MARKET:
        return Q(market__organisation_id=actor.organisation_id)
    return Q(member__organisation_id=actor.organisation_id)


def contracts(
    *,
    actor: User,
    status: str | None = None,
    market: str | None = None,
    q: str | None = None,
) -> QuerySet[Contract]:
    """The contracts the actor may see, newest first.  Raises PermissionDenied."""
    access.require(actor, perms.CONTRACT_VIEW)
    qs = Contract.objects.filter(_scope(actor)).select_related(
        "market", "member", "member__organisation", "card", "submitted_by", "approved_by"
    )
    if status:
        qs = qs.filter(status=status)
    if market:
        qs = qs.filter(market__code__iexact=market)
    if q:
        qs = qs.filter(
            Q(member_code__icontains=q)
            | Q(member__name__icontains=q)
            | Q(market__name__icontains=q)
        )
    return qs.order_by("-signed_at", "-id")


def contract(*, actor: User, contract_id: UUID | str) -> Contract:
    """One contract the actor may see (NotFound otherwise)."""
    try:
        pid = UUID(str(contract_id))
    except ValueError:
        raise NotFound(object="contract") from None
    c = contracts(actor=actor).filter(public_id=pid).first()
    if c is None:
        raise NotFound(object="contract")
    return c


def contract_in_force(*, actor: User, contract_id: UUID | str) -> Contract:
    """A contract the actor may see that is in force, for the modules that move money
    on its sub-account (deposit, withdrawal).  Raises NotFound, ContractNotActive."""
    c = contract(actor=actor, contract_id=contract_id)
    if c.status != Contract.Status.ACTIVE:
        raise ContractNotActive(state=c.status)
    return c


def contract_row(c: Contract) -> dict[str, Any]:
    return {
        "id": c.public_id,
        "status": c.status,
        "status_label": c.get_status_display(),
        "market_id": c.market.public_id,
        "market_code": c.market.code,
        "market_name": c.market.name,
        "member_id": c.member.public_id,
        "member_name": c.member.name,
        "member_type": c.member.member_type,
        "member_code": c.member_code,
        "card": c.card.masked_number,
        "card_bank": c.card.bank_code,
        "currency": c.currency,
        "agreement_version": c.agreement_version,
        "agreement_accepted_at": c.agreement_accepted_at,
        # people by their names: a member's login names reach it through the outbox
        # only, and these rows are shown to its market and the bank's staff too
        "submitted_by": c.submitted_by.full_name,
        "approved_by": c.approved_by.full_name if c.approved_by else None,
        "signed_at": c.signed_at,
        "cancelled_at": c.cancelled_at,
    }


def market_state_row(c: Contract) -> dict[str, Any]:
    s = ContractMarketState.objects.select_related("reported_by").filter(contract=c).first()
    return {
        "open_trades": s.open_trades if s else 0,
        "open_disputes": s.open_disputes if s else 0,
        "note": s.note if s else "",
        "reported_at": s.reported_at if s else None,
        "reported_by": s.reported_by.full_name if s else None,
    }


def contract_detail(*, actor: User, contract_id: UUID | str) -> dict[str, Any]:
    """The contract with its sub-account balances and the market's latest report."""
    c = contract(actor=actor, contract_id=contract_id)
    row = contract_row(c)
    row["market_state"] = market_state_row(c)
    row["sub_account"] = None
    if c.sub_ledger_account_id is not None and actor.organisation.kind != Organisation.Kind.MARKET:
        a = ledger.account(actor=actor, account_id=c.sub_ledger_account_id)
        b = ledger.balances(actor=actor, account_id=c.sub_ledger_account_id)
        row["sub_account"] = {
            "code": a.code,
            "status": a.status,
            "currency": a.currency,
            "balance": str(b.posted.to_decimal()),
            "available": str(b.available.to_decimal()),
            "pending": str(b.pending_debits.to_decimal()),
            "frozen": str(b.frozen.to_decimal()),
        }
    return row


# -- what a member may sign -------------------------------------------------------------
def market_offers(*, actor: User) -> list[dict[str, Any]]:
    """The markets offering custody contracts, with the agreement in force and whether
    the actor's member already has a contract there."""
    access.require(actor, perms.CONTRACT_VIEW)
    signed = set(
        Contract.objects.filter(
            member__organisation_id=actor.organisation_id, status=Contract.Status.ACTIVE
        ).values_list("market_id", flat=True)
    )
    out = []
    for m in Market.objects.filter(status=Market.Status.ACTIVE, agreement_version__gte=1):
        agreement = ServiceAgreement.objects.filter(market=m, version=m.agreement_version).first()
        out.append(
            {
                "id": m.public_id,
                "code": m.code,
                "name": m.name,
                "currencies": list(m.currencies or []),
                "agreement_version": m.agreement_version,
                "agreement_title": agreement.title if agreement else "",
                "agreement_text": agreement.body if agreement else "",
                "signed": m.pk in signed,
            }
        )
    return out


def market_offer(*, actor: User, market_id: UUID | str) -> dict[str, Any]:
    for m in market_offers(actor=actor):
        if str(m["id"]) == str(market_id):
            return m
    raise NotFound(object="market")


def member_profile(*, actor: User) -> MemberProfile:
    profile = MemberProfile.objects.filter(organisation_id=actor.organisation_id).first()
    if profile is None:
        raise NotFound(object="member")
    return profile


def cards(*, actor: User) -> list[dict[str, Any]]:
    """The member's bound cards, current first then the replaced ones (history): for
    who signs contracts or maintains the member's data."""
    if not actor.has_permission(perms.CONTRACT_SUBMIT):
        access.require(actor, perms.MEMBER_MAINTAIN)
    profile = member_profile(actor=actor)
    return [
        {
            "id": c.public_id,
            "status": c.status,
            "status_label": c.get_status_display(),
            "bank_code": c.bank_code,
            "branch_code": c.branch_code,
            "card": c.masked_number,
            "holder_name": c.holder_name,
            "bound_at": c.bound_at,
            "replaced_at": c.replaced_at,
        }
        for c in BoundCard.objects.filter(member=profile).order_by("status", "-bound_at")
    ]


def profile_row(profile: MemberProfile) -> dict[str, Any]:
    return {
        "id": profile.public_id,
        "member_type": profile.member_type,
        "name": profile.name,
        "id_type": profile.id_type,
        "id_number": profile.id_number,
        "legal_representative": profile.legal_representative,
        "contact_name": profile.contact_name,
        "mobile": profile.mobile,
        "email": profile.email,
        "address": profile.address,
        "status": profile.status,
    }


# -- the market's view of its members --------------------------------------------------------
def market_members(*, actor: User) -> list[dict[str, Any]]:
    """The members that have (or had) a contract with the actor's market; staff: all."""
    qs = contracts(actor=actor)
    seen: dict[int, dict[str, Any]] = {}
    for c in qs:
        m = seen.setdefault(
            c.member_id,
            {
                "id": c.member.public_id,
                "name": c.member.name,
                "member_type": c.member.member_type,
                "status": c.member.status,
                "contracts": [],
            },
        )
        m["contracts"].append(
            {"market": c.market.code, "member_code": c.member_code, "status": c.status}
        )
    return sorted(seen.values(), key=lambda r: r["name"])


# -- requests in the approval engine ------------------------------------------------------------
def requests(*, actor: User, box: str, now: dt.datetime) -> list[dict[str, Any]]:
    """The actor's signing and cancelling requests (``initiated``) or those it can
    decide (``pending``), as the approval engine shows them."""
    access.require(actor, perms.CONTRACT_VIEW)
    rows = []
    for action in ACTIONS:
        for req in approval_selectors.inbox(
            actor=actor, box=box, filters={"action_type": action}, now=now
        )[:50]:
            rows.append(approval_presenters.request_row(req))
    return sorted(rows, key=lambda r: r["created_at"], reverse=True)
