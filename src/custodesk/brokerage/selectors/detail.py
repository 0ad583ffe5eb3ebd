"""Reads of the client / account detail (ACC-DETAIL): basic data and the tabs —
assets and transactions, operation records, login devices, agents, related persons.

Staff only (``brokerage.client.view``); an unknown number is ``NotFound``.  Accounts
are named by their number, clients by their client number (both public, with check
digits)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet

from custodesk.approvals import selectors as approval_selectors
from custodesk.audit import selectors as audit_selectors
from custodesk.core import access
from custodesk.core.errors import NotFound, PermissionDenied
from custodesk.identity.models import User
from custodesk.ledger import facade as ledger

from .. import permissions as perms
from ..models import (
    Account,
    Agent,
    CashMovement,
    Client,
    ClientAppLogin,
    ClientLoginDevice,
    JointHolder,
    RelatedPerson,
)

CASH_ACTIONS = ("brokerage.cash_deposit", "brokerage.cash_withdrawal")
OPEN_ACTION = "brokerage.account_open"


def account_by_number(*, actor: User, number: str) -> Account:
    access.require(actor, perms.CLIENT_VIEW)
    a = Account.objects.select_related("client", "parent").filter(number=number).first()
    if a is None:
        raise NotFound(object="account")
    return a


def client_by_number(*, actor: User, client_no: str) -> Client:
    access.require(actor, perms.CLIENT_VIEW)
    c = Client.objects.filter(client_no=client_no).first()
    if c is None:
        raise NotFound(object="client")
    return c


def linked_accounts(client: Client) -> list[Account]:
    """The client's accounts, main accounts each followed by its sub-accounts."""
    accounts = list(client.accounts.select_related("parent").order_by("number"))
    mains = [a for a in accounts if a.parent_id is None]
    out: list[Account] = []
    for m in mains:
        out.append(m)
        out.extend(a for a in accounts if a.parent_id == m.pk)
    out.extend(a for a in accounts if a not in out)
    return out


def holders(client: Client) -> list[Client]:
    if client.kind == Client.Kind.JOINT:
        return [
            j.holder
            for j in JointHolder.objects.filter(joint=client)
            .select_related("holder")
            .order_by("position")
        ]
    return []


def joint_memberships(client: Client) -> list[Client]:
    return [j.joint for j in JointHolder.objects.filter(holder=client).select_related("joint")]


def app_login(client: Client) -> ClientAppLogin | None:
    return ClientAppLogin.objects.filter(client=client).exclude(status="closed").first()


def _pending(actor: User, object_id: str, actions: tuple[str, ...], now: dt.datetime) -> list[Any]:
    """Pending approval requests about this object (shown to who may see all requests)."""
    try:
        qs = approval_selectors.inbox(
            actor=actor, box="all", filters={"status": "pending"}, now=now
        )
    except PermissionDenied:
        return []
    return list(qs.filter(object_id=object_id, action_type__in=actions)[:50])


def assets(*, actor: User, account: Account, now: dt.datetime) -> dict[str, Any]:
    """Cash per currency from the ledger, the deposits and withdrawals (newest first)
    and the ones waiting for approval."""
    access.require(actor, perms.CLIENT_VIEW)
    balances = [
        (cash.currency, ledger.balances(actor=actor, account_id=cash.ledger_account_id))
        for cash in account.cash_accounts.order_by("currency")
    ]
    movements = list(
        CashMovement.objects.filter(account=account)
        .select_related("requested_by")
        .order_by("-requested_at", "-id")[:200]
    )
    return {
        "balances": balances,
        "movements": movements,
        "pending": _pending(actor, str(account.public_id), CASH_ACTIONS, now),
    }


def pending_openings(*, actor: User, client: Client, now: dt.datetime) -> list[Any]:
    return _pending(actor, str(client.public_id), (OPEN_ACTION,), now)


def operations(*, actor: User, client: Client, limit: int = 200) -> QuerySet[Any]:
    """Operation records of the client, its accounts, agents and related persons
    (newest first).  Needs ``audit.entry.view`` as well."""
    access.require(actor, perms.CLIENT_VIEW)
    ids = [str(client.public_id)]
    ids += [str(p) for p in client.accounts.values_list("public_id", flat=True)]
    ids += [str(p) for p in Agent.objects.filter(client=client).values_list("public_id", flat=True)]
    ids += [
        str(p)
        for p in RelatedPerson.objects.filter(client=client).values_list("public_id", flat=True)
    ]
    return audit_selectors.audit_list(actor=actor).filter(
        Q(object_id__in=ids) & Q(object_type__startswith="brokerage_")
    )[:limit]


def login_devices(*, actor: User, client: Client, limit: int = 200) -> list[ClientLoginDevice]:
    access.require(actor, perms.CLIENT_VIEW)
    return list(ClientLoginDevice.objects.filter(client=client).order_by("-at", "-id")[:limit])


def agents(*, actor: User, client: Client) -> list[Agent]:
    access.require(actor, perms.CLIENT_VIEW)
    return list(Agent.objects.filter(client=client).order_by("status", "name", "id"))


def related_persons(*, actor: User, client: Client) -> list[RelatedPerson]:
    access.require(actor, perms.CLIENT_VIEW)
    return list(RelatedPerson.objects.filter(client=client).order_by("role", "name", "id"))


def agent_of(*, actor: User, public_id: Any) -> Agent:
    access.require(actor, perms.CLIENT_VIEW)
    try:
        a = Agent.objects.select_related("client").filter(public_id=public_id).first()
    except (ValueError, TypeError):
        a = None
    if a is None:
        raise NotFound(object="agent")
    return a


def related_of(*, actor: User, public_id: Any) -> RelatedPerson:
    access.require(actor, perms.CLIENT_VIEW)
    try:
        p = RelatedPerson.objects.select_related("client").filter(public_id=public_id).first()
    except (ValueError, TypeError):
        p = None
    if p is None:
        raise NotFound(object="related_person")
    return p


def clients_search(*, actor: User, q: str = "", limit: int = 50) -> list[Client]:
    """Clients by number, name (English or Chinese), ID number or phone (for the forms'
    client pickers; the account list is the full search)."""
    access.require(actor, perms.CLIENT_VIEW)
    text = (q or "").strip()
    qs = Client.objects.all()
    if text:
        qs = qs.filter(
            Q(client_no=text)
            | Q(name_en__icontains=text)
            | Q(name_zh__icontains=text)
            | Q(id_number__iexact=text)
            | Q(phone=text)
        )
    return list(qs.order_by("-id")[:limit])
