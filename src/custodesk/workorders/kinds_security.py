"""Security kinds: freeze / unfreeze / close a client or accounts, unlock or reset the
client's app password — each executed by the brokerage's services (their state machines,
ledger freezes, audit rows), never here."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from custodesk.brokerage.errors import ClientHasOpenAccounts, ClientNotActive, InvalidTransition
from custodesk.brokerage.models import Account, Client, ClientAppLogin
from custodesk.brokerage.services import (
    account_close,
    account_unfreeze,
    app_login_reset_password,
    app_login_unlock,
    client_close,
    client_unfreeze,
)
from custodesk.brokerage.services import security as brokerage_security
from custodesk.core import access
from custodesk.notify.models import Message

from .kinds import ACCOUNTS, CLIENT, Execution, FormField, Kind, always_reviewed, register

SECURITY_ACT = "brokerage.security.act"  # brokerage.permissions.SECURITY_ACTION
PASSWORD_TEMPLATES = ("brokerage.app_password", "brokerage.app_login_name")

INCLUDE_ACCOUNTS = FormField(
    "include_accounts", _("Also the client's accounts"), type="bool", default=True
)


def _allowed(moves: dict[tuple[str, str], str], action: str, state: str, target: str) -> None:
    if (action, state) not in moves:
        raise InvalidTransition(action=action, from_state=state, to_state=target, field="target")


def _client_state(action: str, to: str) -> Any:
    def check(c: Client, accounts: list[Account], fields: dict[str, Any]) -> None:
        _allowed(brokerage_security.CLIENT_MOVES, action, c.status, to)

    return check


def _account_state(action: str, to: str) -> Any:
    def check(c: Client, accounts: list[Account], fields: dict[str, Any]) -> None:
        for a in accounts:
            _allowed(
                brokerage_security.ACCOUNT_MOVES, action, brokerage_security.account_state(a), to
            )

    return check


# -- clients -----------------------------------------------------------------------
def _freeze_client(x: Execution) -> dict[str, Any]:
    """In the approving transaction: the client, then (by default) each of its active
    accounts not yet frozen — the brokerage's own approvable freeze writes."""
    access.require(x.actor, SECURITY_ACT)
    c = brokerage_security.client_freeze_within(
        actor=x.actor,
        client_id=x.client.public_id,
        reason=x.reason,
        approval_request_id=x.approval_request_id,
        now=x.now,
    )
    frozen = []
    if x.order.fields.get("include_accounts", True):
        for a in Account.objects.filter(
            client=c, status=Account.Status.ACTIVE, frozen=False
        ).order_by("number"):
            brokerage_security.account_freeze_within(
                actor=x.actor,
                account_id=a.public_id,
                reason=x.reason,
                approval_request_id=x.approval_request_id,
                now=x.now,
            )
            frozen.append(a.number)
    return {"client_status": c.status, "accounts_frozen": frozen}


def _unfreeze_client(x: Execution) -> dict[str, Any]:
    c = client_unfreeze(actor=x.actor, client_id=x.client.public_id, reason=x.reason, now=x.now)
    unfrozen = []
    if x.order.fields.get("include_accounts", True):
        for a in Account.objects.filter(
            client=c, status=Account.Status.ACTIVE, frozen=True
        ).order_by("number"):
            account_unfreeze(actor=x.actor, account_id=a.public_id, reason=x.reason, now=x.now)
            unfrozen.append(a.number)
    return {"client_status": c.status, "accounts_unfrozen": unfrozen}


def _check_close_client(c: Client, accounts: list[Account], fields: dict[str, Any]) -> None:
    _allowed(brokerage_security.CLIENT_MOVES, "close", c.status, "closed")
    still_open = list(
        Account.objects.filter(client=c)
        .exclude(status=Account.Status.CLOSED)
        .values_list("number", flat=True)[:20]
    )
    if still_open:
        raise ClientHasOpenAccounts(accounts=still_open)


def _close_client(x: Execution) -> dict[str, Any]:
    c = client_close(
        actor=x.actor,
        client_id=x.client.public_id,
        kind=x.order.fields["close_kind"],
        reason=x.reason,
        now=x.now,
    )
    return {
        "client_status": c.status,
        "closed_kind": c.closed_kind,
        "reregister_from": c.reregister_from.isoformat() if c.reregister_from else None,
    }


# -- accounts ----------------------------------------------------------------------
def _freeze_accounts(x: Execution) -> dict[str, Any]:
    access.require(x.actor, SECURITY_ACT)
    for a in x.accounts:
        brokerage_security.account_freeze_within(
            actor=x.actor,
            account_id=a.public_id,
            reason=x.reason,
            approval_request_id=x.approval_request_id,
            now=x.now,
        )
    return {"accounts_frozen": [a.number for a in x.accounts]}


def _unfreeze_accounts(x: Execution) -> dict[str, Any]:
    for a in x.accounts:
        account_unfreeze(actor=x.actor, account_id=a.public_id, reason=x.reason, now=x.now)
    return {"accounts_unfrozen": [a.number for a in x.accounts]}


def _close_accounts(x: Execution) -> dict[str, Any]:
    for a in x.accounts:
        account_close(actor=x.actor, account_id=a.public_id, reason=x.reason, now=x.now)
    return {"accounts_closed": [a.number for a in x.accounts]}


# -- app password ------------------------------------------------------------------
def _login(c: Client) -> ClientAppLogin:
    login = ClientAppLogin.objects.filter(client=c).first()
    if login is None or login.status == ClientAppLogin.Status.CLOSED:
        raise ClientNotActive(detail=_("The client has no app login."), state=c.status)
    return login


def _check_unlock(c: Client, accounts: list[Account], fields: dict[str, Any]) -> None:
    login = _login(c)
    if (
        login.status == ClientAppLogin.Status.ACTIVE
        and not login.failed_count
        and login.lockout_until is None
    ):
        raise InvalidTransition(action="unlock", from_state="active", to_state="active")


def _unlock(x: Execution) -> dict[str, Any]:
    login = app_login_unlock(
        actor=x.actor, client_id=x.client.public_id, reason=x.reason, now=x.now
    )
    return {"app_login": login.status}


def _check_reset(c: Client, accounts: list[Account], fields: dict[str, Any]) -> None:
    if c.status != Client.Status.ACTIVE:
        raise ClientNotActive(state=c.status)
    _login(c)
    if not c.phone:
        from custodesk.core.errors import ValidationFailed

        raise ValidationFailed.single(
            "target", "no_phone", _("The client has no phone to send the password to by SMS.")
        )


def _reset(x: Execution) -> dict[str, Any]:
    """A new random password by SMS to the client's phone, the login name by e-mail —
    both through the outbox, written by the brokerage service; the order keeps the
    delivery ids (never the text)."""
    app_login_reset_password(
        actor=x.actor, client_id=x.client.public_id, reason=x.reason, now=x.now
    )
    recipients = [r for r in (x.client.phone, x.client.email) if r]
    x.messages.extend(
        Message.objects.filter(
            template__in=PASSWORD_TEMPLATES, recipient__in=recipients, created_at=x.now
        ).order_by("id")
    )
    return {"password_sent_to": "sms", "login_name_sent_to": "email" if x.client.email else ""}


register(
    Kind(
        code="freeze_client",
        label=_("Freeze client"),
        group="security",
        target=CLIENT,
        fields=(INCLUDE_ACCOUNTS,),
        check=_client_state("freeze", "frozen"),
        execute=_freeze_client,
        in_transaction=True,
        default_levels=always_reviewed,
        notice="workorders.client_frozen",
        help=_("The client cannot sign in to the app; its accounts cannot trade."),
    )
)
register(
    Kind(
        code="unfreeze_client",
        label=_("Unfreeze client"),
        group="security",
        target=CLIENT,
        fields=(INCLUDE_ACCOUNTS,),
        check=_client_state("unfreeze", "active"),
        execute=_unfreeze_client,
        notice="workorders.client_unfrozen",
    )
)
register(
    Kind(
        code="freeze_account",
        label=_("Freeze account"),
        group="security",
        target=ACCOUNTS,
        check=_account_state("freeze", "frozen"),
        execute=_freeze_accounts,
        in_transaction=True,
        notice="workorders.account_frozen",
        help=_("No trading, deposits, withdrawals or FX on the account."),
    )
)
register(
    Kind(
        code="unfreeze_account",
        label=_("Unfreeze account"),
        group="security",
        target=ACCOUNTS,
        check=_account_state("unfreeze", "active"),
        execute=_unfreeze_accounts,
        notice="workorders.account_unfrozen",
    )
)
register(
    Kind(
        code="close_client",
        label=_("Close client"),
        group="security",
        target=CLIENT,
        fields=(
            FormField(
                "close_kind",
                _("Closing kind"),
                type="choice",
                required=True,
                choices=tuple(Client.ClosedKind.choices),
            ),
        ),
        check=_check_close_client,
        execute=_close_client,
        notice="workorders.client_closed",
        help=_("Permanently: may register again at once; normally: not for three months."),
    )
)
register(
    Kind(
        code="close_account",
        label=_("Close account"),
        group="security",
        target=ACCOUNTS,
        check=_account_state("close", "closed"),
        execute=_close_accounts,
        notice="workorders.account_closed",
        help=_("Only with zero cash and nothing pending; the number is never reused."),
    )
)
register(
    Kind(
        code="unlock_password",
        label=_("Unlock password"),
        group="password",
        target=CLIENT,
        check=_check_unlock,
        execute=_unlock,
        help=_("Clears the wrong-password count and lifts the lock of the app login."),
    )
)
register(
    Kind(
        code="reset_password",
        label=_("Reset password"),
        group="password",
        target=CLIENT,
        check=_check_reset,
        execute=_reset,
        help=_(
            "A random password goes to the client's phone by SMS and the login name by "
            "e-mail; nobody sees the password."
        ),
    )
)
