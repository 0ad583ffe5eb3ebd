"""Security actions (ACC-SEC) on accounts and clients: one state machine each.

Account (its status and its freeze state seen together)::

    active --freeze--> frozen --unfreeze--> active --close--> closed

Client::

    active --freeze--> frozen --unfreeze--> active --close(permanent|normal)--> closed

Any other move is refused with :class:`InvalidTransition` naming the action and the
states ``from`` and ``to``; every action needs a reason and writes an audit row.
Freezing (an account or a client) is approvable (``brokerage.account_freeze``,
``brokerage.client_freeze`` in brokerage.approvals): the ``*_check`` functions run at
submission and execution, the ``*_within`` functions in the approving transaction.  The
other actions are services the console, the API and the work-order centre call.

Freezing an account places a full freeze on each of its ledger cash accounts (no money
in or out, no trading, no FX); unfreezing releases them.  Closing an account needs zero
cash and no pending movements in every currency; its number is never issued again and
its ledger accounts keep a full freeze.  Closing a client needs its accounts closed; it
closes the app login (the login name is free again) and ends its sessions; *normally*
closed, it may not register again for three months, *permanently* closed at once.
"""

from __future__ import annotations

import calendar
import datetime as dt
from uuid import UUID

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from custodesk.core import access
from custodesk.core.errors import ValidationFailed
from custodesk.identity.models import User
from custodesk.ledger import facade as ledger

from .. import permissions as perms
from ..errors import AccountHasCash, ClientHasOpenAccounts, InvalidTransition
from ..models import Account, AccountCash, Client, ClientAppLogin, ClientAppSession
from .accounts import audit_account, get_account
from .clients import audit_client, get_client

REREGISTER_MONTHS = 3

# (action, from) -> to
ACCOUNT_MOVES = {
    ("freeze", "active"): "frozen",
    ("unfreeze", "frozen"): "active",
    ("close", "active"): "closed",
}
CLIENT_MOVES = {
    ("freeze", "active"): "frozen",
    ("unfreeze", "frozen"): "active",
    ("close", "active"): "closed",
}
_TARGET = {"freeze": "frozen", "unfreeze": "active", "close": "closed"}


def account_state(a: Account) -> str:
    if a.status == Account.Status.CLOSED:
        return "closed"
    return "frozen" if a.frozen else "active"


def _move(moves: dict[tuple[str, str], str], action: str, state: str) -> str:
    to = moves.get((action, state))
    if to is None:
        raise InvalidTransition(action=action, from_state=state, to_state=_TARGET[action])
    return to


def _reason(reason: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise ValidationFailed.single("reason", "required", _("Give a reason."))
    if len(text) > 400:
        raise ValidationFailed.single("reason", "max_length", _("400 characters at most."))
    return text


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


# -- accounts ----------------------------------------------------------------------
def account_freeze_check(*, actor: User, account_id: UUID | str, reason: str) -> Account:
    access.require(actor, perms.SECURITY_ACTION)
    _reason(reason)
    a = get_account(account_id)
    _move(ACCOUNT_MOVES, "freeze", account_state(a))
    return a


def account_freeze_within(
    *,
    actor: User,
    account_id: UUID | str,
    reason: str,
    approval_request_id: str | None,
    now: dt.datetime,
) -> Account:
    a = get_account(account_id, lock=True)
    before = account_state(a)
    _move(ACCOUNT_MOVES, "freeze", before)
    text = _reason(reason)
    for cash in AccountCash.objects.select_for_update().filter(account=a).order_by("pk"):
        f = ledger.freeze(
            actor=actor,
            account_id=cash.ledger_account_id,
            kind=ledger.FreezeKind.FULL,
            reason_code="brokerage_account_frozen",
            legal_reference=text[:200],
            now=now,
        )
        cash.freeze_id = f.id
        cash.save(update_fields=["freeze_id"])
    a.frozen, a.freeze_reason, a.frozen_at = True, text, now
    a.save(update_fields=["frozen", "freeze_reason", "frozen_at"])
    audit_account(
        a,
        actor=actor,
        action="brokerage.account.freeze",
        before={"state": before},
        after={"state": "frozen"},
        reason=text,
        approval_request_id=approval_request_id,
        now=now,
    )
    return a


@transaction.atomic(durable=True)
def account_unfreeze(
    *, actor: User, account_id: UUID | str, reason: str, now: dt.datetime
) -> Account:
    """Lift an account's freeze and release its ledger freezes.  Raises
    InvalidTransition, ValidationFailed (reason), NotFound, PermissionDenied."""
    access.require(actor, perms.SECURITY_ACTION)
    a = get_account(account_id, lock=True)
    before = account_state(a)
    _move(ACCOUNT_MOVES, "unfreeze", before)
    text = _reason(reason)
    for cash in AccountCash.objects.select_for_update().filter(account=a).order_by("pk"):
        if cash.freeze_id is not None:
            ledger.release_freeze(actor=actor, freeze_id=cash.freeze_id, reason=text, now=now)
            cash.freeze_id = None
            cash.save(update_fields=["freeze_id"])
    a.frozen, a.freeze_reason, a.frozen_at = False, "", None
    a.save(update_fields=["frozen", "freeze_reason", "frozen_at"])
    audit_account(
        a,
        actor=actor,
        action="brokerage.account.unfreeze",
        before={"state": before},
        after={"state": "active"},
        reason=text,
        now=now,
    )
    return a


@transaction.atomic(durable=True)
def account_close(*, actor: User, account_id: UUID | str, reason: str, now: dt.datetime) -> Account:
    """Close an account: only with zero cash and nothing pending in every currency.

    Raises InvalidTransition (frozen or closed), AccountHasCash (naming the currency),
    ValidationFailed (reason), NotFound, PermissionDenied."""
    access.require(actor, perms.SECURITY_ACTION)
    a = get_account(account_id, lock=True)
    before = account_state(a)
    _move(ACCOUNT_MOVES, "close", before)
    text = _reason(reason)
    cash_accounts = list(AccountCash.objects.select_for_update().filter(account=a).order_by("pk"))
    for cash in cash_accounts:
        b = ledger.balances(actor=actor, account_id=cash.ledger_account_id)
        if b.posted.minor or b.pending_debits.minor or b.pending_credits.minor:
            raise AccountHasCash(
                currency=cash.currency,
                balance=str(b.posted.to_decimal()),
                pending_debits=str(b.pending_debits.to_decimal()),
                pending_credits=str(b.pending_credits.to_decimal()),
            )
    for cash in cash_accounts:
        f = ledger.freeze(
            actor=actor,
            account_id=cash.ledger_account_id,
            kind=ledger.FreezeKind.FULL,
            reason_code="brokerage_account_closed",
            legal_reference=text[:200],
            now=now,
        )
        cash.freeze_id = f.id
        cash.save(update_fields=["freeze_id"])
    a.status, a.status_reason, a.closed_at = Account.Status.CLOSED, text, now
    a.save(update_fields=["status", "status_reason", "closed_at"])
    audit_account(
        a,
        actor=actor,
        action="brokerage.account.close",
        before={"state": before},
        after={"state": "closed"},
        reason=text,
        now=now,
    )
    return a


# -- clients -----------------------------------------------------------------------
def _end_app_sessions(client: Client, now: dt.datetime) -> int:
    return ClientAppSession.objects.filter(login__client=client, ended_at__isnull=True).update(
        ended_at=now
    )


def client_freeze_check(*, actor: User, client_id: UUID | str, reason: str) -> Client:
    access.require(actor, perms.SECURITY_ACTION)
    _reason(reason)
    c = get_client(client_id)
    _move(CLIENT_MOVES, "freeze", c.status)
    return c


def client_freeze_within(
    *,
    actor: User,
    client_id: UUID | str,
    reason: str,
    approval_request_id: str | None,
    now: dt.datetime,
) -> Client:
    """Freeze a client: its app sign-in is refused and its app sessions end."""
    c = get_client(client_id, lock=True)
    before = c.status
    _move(CLIENT_MOVES, "freeze", before)
    text = _reason(reason)
    c.status, c.status_reason, c.status_changed_at, c.updated_at = (
        Client.Status.FROZEN,
        text,
        now,
        now,
    )
    c.save(update_fields=["status", "status_reason", "status_changed_at", "updated_at"])
    ended = _end_app_sessions(c, now)
    audit_client(
        c,
        actor=actor,
        action="brokerage.client.freeze",
        before={"status": before},
        after={"status": c.status, "app_sessions_ended": ended},
        reason=text,
        approval_request_id=approval_request_id,
        now=now,
    )
    return c


@transaction.atomic(durable=True)
def client_unfreeze(*, actor: User, client_id: UUID | str, reason: str, now: dt.datetime) -> Client:
    """Raises InvalidTransition, ValidationFailed (reason), NotFound, PermissionDenied."""
    access.require(actor, perms.SECURITY_ACTION)
    c = get_client(client_id, lock=True)
    before = c.status
    _move(CLIENT_MOVES, "unfreeze", before)
    text = _reason(reason)
    c.status, c.status_reason, c.status_changed_at, c.updated_at = (
        Client.Status.ACTIVE,
        text,
        now,
        now,
    )
    c.save(update_fields=["status", "status_reason", "status_changed_at", "updated_at"])
    audit_client(
        c,
        actor=actor,
        action="brokerage.client.unfreeze",
        before={"status": before},
        after={"status": c.status},
        reason=text,
        now=now,
    )
    return c


@transaction.atomic(durable=True)
def client_close(
    *, actor: User, client_id: UUID | str, kind: str, reason: str, now: dt.datetime
) -> Client:
    """Close a client ``permanent`` (may register again at once) or ``normal`` (not for
    three months).  Raises ValidationFailed (kind, reason), InvalidTransition,
    ClientHasOpenAccounts, NotFound, PermissionDenied."""
    access.require(actor, perms.SECURITY_ACTION)
    if kind not in Client.ClosedKind.values:
        raise ValidationFailed.single("kind", "choice", _("Closed permanently or normally."))
    c = get_client(client_id, lock=True)
    before = c.status
    _move(CLIENT_MOVES, "close", before)
    text = _reason(reason)
    open_accounts = list(
        c.accounts.exclude(status=Account.Status.CLOSED).values_list("number", flat=True)
    )
    if open_accounts:
        raise ClientHasOpenAccounts(accounts=open_accounts[:20])
    today = now.date()
    c.status, c.status_reason, c.status_changed_at, c.updated_at = (
        Client.Status.CLOSED,
        text,
        now,
        now,
    )
    c.closed_kind, c.closed_at = kind, now
    c.reregister_from = today if kind == "permanent" else add_months(today, REREGISTER_MONTHS)
    c.save()
    ClientAppLogin.objects.filter(client=c).update(status=ClientAppLogin.Status.CLOSED)
    ended = _end_app_sessions(c, now)
    audit_client(
        c,
        actor=actor,
        action="brokerage.client.close",
        before={"status": before},
        after={
            "status": c.status,
            "closed_kind": kind,
            "reregister_from": c.reregister_from.isoformat(),
            "app_sessions_ended": ended,
        },
        reason=text,
        now=now,
    )
    return c
