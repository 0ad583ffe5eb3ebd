"""Account opening: the approvable command ``brokerage.account_open``.

Interfaces submit it with ``approvals.services.submit(action_type=ACCOUNT_OPEN,
payload={...})`` (brokerage.approvals); the approval flow for that action type decides
who reviews it (by default one administrator other than the initiator; a flow may make
it automatic or add levels).  :func:`account_open_check` runs at submission and again
at execution; :func:`account_open_within` runs in the approving transaction: it draws
the account number, writes the account, opens a ledger cash account per currency
(``client_cash``, debits never beyond credits) and runs the ``on_account_opened``
hooks (:mod:`custodesk.brokerage.hooks`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.utils.translation import gettext_lazy as _

from custodesk.audit.services import record
from custodesk.core import access
from custodesk.core.errors import FieldError, NotFound, ValidationFailed
from custodesk.core.money import SUPPORTED_CURRENCIES
from custodesk.identity.models import User
from custodesk.ledger import facade as ledger

from .. import hooks
from .. import permissions as perms
from ..errors import AccountNotActive, ClientNotActive
from ..models import Account, AccountCash, Client
from . import numbers
from .clients import get_client


def get_account(account_id: UUID | str, *, lock: bool = False) -> Account:
    qs = Account.objects.select_for_update() if lock else Account.objects.all()
    try:
        a = qs.select_related("client").filter(public_id=account_id).first()
    except (ValueError, TypeError):
        a = None
    if a is None:
        raise NotFound(object="account")
    return a


def account_state(a: Account) -> dict[str, Any]:
    return {
        "number": a.number,
        "type": a.type,
        "base_currency": a.base_currency,
        "status": a.status,
        "frozen": a.frozen,
        "client_no": a.client.client_no,
    }


def audit_account(
    a: Account,
    *,
    actor: User | None,
    action: str,
    now: dt.datetime,
    before: Any = None,
    after: Any = None,
    reason: str = "",
    approval_request_id: str | None = None,
) -> None:
    record(
        actor=actor,
        action=action,
        object_type="brokerage_account",
        object_id=a.public_id,
        object_repr=f"{a.number} {a.client.name_en}"[:200],
        before=before,
        after=after,
        reason=reason,
        approval_request_id=approval_request_id,
        now=now,
    )


@dataclass(frozen=True)
class OpeningPlan:
    client: Client
    parent: Account | None
    account_type: str
    base_currency: str
    currencies: tuple[str, ...]


def account_open_check(
    *,
    actor: User,
    client_id: UUID | str,
    account_type: str,
    base_currency: str,
    currencies: Sequence[str] = (),
    parent_id: UUID | str | None = None,
) -> OpeningPlan:
    """Whether the opening may go ahead (no writes).  The account gets a cash account in
    each of ``currencies`` (default: every supported currency), the base currency among
    them.  A sub-account follows its main account's type (BROKER-MANUAL C6).

    Raises ValidationFailed, NotFound (client), ClientNotActive, AccountNotActive
    (main account), PermissionDenied."""
    access.require(actor, perms.ACCOUNT_OPEN)
    errors: list[FieldError] = []
    if account_type not in Account.Type.values:
        errors.append(FieldError("account_type", "choice", _("Not a valid choice.")))
    if base_currency not in SUPPORTED_CURRENCIES:
        errors.append(FieldError("base_currency", "currency", _("Not a supported currency.")))
    wanted = tuple(dict.fromkeys(currencies)) if currencies else SUPPORTED_CURRENCIES
    for i, c in enumerate(wanted):
        if c not in SUPPORTED_CURRENCIES:
            errors.append(FieldError(f"currencies.{i}", "currency", _("Not a supported currency.")))
    if base_currency in SUPPORTED_CURRENCIES and base_currency not in wanted:
        errors.append(FieldError("currencies", "base_currency", _("Include the base currency.")))
    if errors:
        raise ValidationFailed(errors)
    client = get_client(client_id)
    if client.status != Client.Status.ACTIVE:
        raise ClientNotActive(state=client.status)
    parent = None
    if parent_id is not None:
        parent = Account.objects.filter(public_id=parent_id, client=client).first()
        if parent is None:
            raise ValidationFailed.single(
                "parent_id", "not_found", _("No such account of this client.")
            )
        if parent.status != Account.Status.ACTIVE or parent.parent_id is not None:
            raise AccountNotActive(field="parent_id", state=parent.status)
        if parent.type != account_type:
            raise ValidationFailed.single(
                "account_type", "parent_type", _("A sub-account has its main account's type.")
            )
    return OpeningPlan(client, parent, account_type, base_currency, wanted)


def account_open_within(
    *,
    actor: User,
    plan: OpeningPlan,
    approval_request_id: str | None,
    now: dt.datetime,
    bulk: bool = False,
) -> Account:
    """Open the account of a checked plan, in the caller's transaction (``bulk``: a load
    of an existing book, see :class:`hooks.AccountOpened`)."""
    (number,) = numbers.reserve(numbers.ACCOUNT)
    a = Account.objects.create(
        number=number,
        client=plan.client,
        parent=plan.parent,
        type=plan.account_type,
        base_currency=plan.base_currency,
        status=Account.Status.ACTIVE,
        opened_on=now.date(),
        created_at=now,
        created_by=actor,
    )
    owner = ledger.Owner(type="brokerage_account", id=str(a.public_id))
    for currency in plan.currencies:
        cash = ledger.open_account(
            actor=actor,
            code=f"BRK-{number}-{currency}",
            kind=ledger.AccountKind.CLIENT_CASH,
            currency=currency,
            name=f"{number} {plan.client.name_en}"[:200],
            owner=owner,
            rule=ledger.BalanceRule.DEBITS_MUST_NOT_EXCEED_CREDITS,
            now=now,
        )
        AccountCash.objects.create(account=a, currency=currency, ledger_account_id=cash.id)
    audit_account(
        a,
        actor=actor,
        action="brokerage.account.open",
        after=account_state(a) | {"currencies": list(plan.currencies)},
        approval_request_id=approval_request_id,
        now=now,
    )
    hooks.run_account_opened(
        hooks.AccountOpened(
            account_id=a.pk,
            account_public_id=a.public_id,
            number=a.number,
            client_id=plan.client.pk,
            account_type=a.type,
            base_currency=a.base_currency,
            currencies=plan.currencies,
            actor=actor,
            now=now,
            bulk=bulk,
        )
    )
    return a


def cash_balances(*, actor: User, account: Account) -> list[ledger.Balances]:
    """The ledger balances of the account's cash accounts, by currency."""
    return [
        ledger.balances(actor=actor, account_id=cash.ledger_account_id)
        for cash in account.cash_accounts.order_by("currency")
    ]
