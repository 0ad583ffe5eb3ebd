"""The brokerage module's approvable commands (custodesk.approvals.registry).

Submit with ``approvals.services.submit(actor=..., action_type=<code>, payload={...})``:

* ``brokerage.account_open`` — {client_id, account_type, base_currency, currencies?,
  parent_id?, remark?}: the account is written when approved (services.accounts);
* ``brokerage.account_freeze`` — {account_id, reason}; ``brokerage.client_freeze`` —
  {client_id, reason} (services.security);
* ``brokerage.cash_deposit`` / ``brokerage.cash_withdrawal`` — {account_id, currency,
  amount, reference?, remark?}, with the amount as the request's amount (services.cash).

No flow configured: one administrator other than the initiator decides (the engine's
fallback); an approval flow per action type changes that (levels, amount thresholds,
or none — automatic).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from django.utils.translation import gettext_lazy as _
from pydantic import BaseModel, Field

from custodesk.approvals.registry import ActionType, Preview, register
from custodesk.identity.models import User

from . import permissions as perms
from .models import Account, Client
from .services import accounts, cash, security

ACCOUNT_OPEN = "brokerage.account_open"
ACCOUNT_FREEZE = "brokerage.account_freeze"
CLIENT_FREEZE = "brokerage.client_freeze"
CASH_DEPOSIT = "brokerage.cash_deposit"
CASH_WITHDRAWAL = "brokerage.cash_withdrawal"


def _client_label(client_id: UUID) -> str:
    c = Client.objects.filter(public_id=client_id).only("client_no", "name_en").first()
    return f"{c.client_no} {c.name_en}" if c else str(client_id)


def _account_label(account_id: UUID) -> str:
    a = Account.objects.filter(public_id=account_id).only("number").first()
    return a.number if a else str(account_id)


# -- opening -----------------------------------------------------------------------
class AccountOpen(BaseModel):
    client_id: UUID
    account_type: str = Field(max_length=16)
    base_currency: str = Field(max_length=3)
    currencies: list[str] = Field(default_factory=list, max_length=10)
    parent_id: UUID | None = None
    remark: str = Field(default="", max_length=400)


def _plan(actor: User, p: AccountOpen) -> accounts.OpeningPlan:
    return accounts.account_open_check(
        actor=actor,
        client_id=p.client_id,
        account_type=p.account_type,
        base_currency=p.base_currency,
        currencies=p.currencies,
        parent_id=p.parent_id,
    )


def check_open(*, actor: User, payload: AccountOpen, now: dt.datetime) -> Preview:
    plan = _plan(actor, payload)
    return Preview(
        object_type="brokerage_client",
        object_id=str(plan.client.public_id),
        dedup_key=f"{plan.client.public_id}:{plan.account_type}:{payload.parent_id or ''}",
        after={
            "client_no": plan.client.client_no,
            "account_type": plan.account_type,
            "base_currency": plan.base_currency,
            "currencies": list(plan.currencies),
        },
    )


def execute_open(
    *, initiator: User, approver: User | None, payload: AccountOpen, request: Any, now: dt.datetime
) -> dict[str, Any]:
    actor = approver or initiator
    a = accounts.account_open_within(
        actor=actor,
        plan=_plan(initiator, payload),
        approval_request_id=str(request.public_id),
        now=now,
    )
    return {"account_id": str(a.public_id), "number": a.number}


def describe_open(*, payload: AccountOpen) -> str:
    return str(
        _("Open a %(type)s account for %(client)s")
        % {"type": payload.account_type, "client": _client_label(payload.client_id)}
    )


# -- freezes -----------------------------------------------------------------------
class AccountFreeze(BaseModel):
    account_id: UUID
    reason: str = Field(max_length=400)


class ClientFreeze(BaseModel):
    client_id: UUID
    reason: str = Field(max_length=400)


def check_account_freeze(*, actor: User, payload: AccountFreeze, now: dt.datetime) -> Preview:
    a = security.account_freeze_check(
        actor=actor, account_id=payload.account_id, reason=payload.reason
    )
    return Preview(
        object_type="brokerage_account",
        object_id=str(a.public_id),
        dedup_key=str(a.public_id),
        before={"number": a.number, "state": security.account_state(a)},
        after={"number": a.number, "state": "frozen"},
    )


def execute_account_freeze(
    *,
    initiator: User,
    approver: User | None,
    payload: AccountFreeze,
    request: Any,
    now: dt.datetime,
) -> dict[str, Any]:
    a = security.account_freeze_within(
        actor=approver or initiator,
        account_id=payload.account_id,
        reason=payload.reason,
        approval_request_id=str(request.public_id),
        now=now,
    )
    return {"account_id": str(a.public_id), "number": a.number, "state": "frozen"}


def describe_account_freeze(*, payload: AccountFreeze) -> str:
    return str(_("Freeze account %(number)s") % {"number": _account_label(payload.account_id)})


def check_client_freeze(*, actor: User, payload: ClientFreeze, now: dt.datetime) -> Preview:
    c = security.client_freeze_check(
        actor=actor, client_id=payload.client_id, reason=payload.reason
    )
    return Preview(
        object_type="brokerage_client",
        object_id=str(c.public_id),
        dedup_key=f"freeze:{c.public_id}",
        before={"client_no": c.client_no, "status": c.status},
        after={"client_no": c.client_no, "status": "frozen"},
    )


def execute_client_freeze(
    *, initiator: User, approver: User | None, payload: ClientFreeze, request: Any, now: dt.datetime
) -> dict[str, Any]:
    c = security.client_freeze_within(
        actor=approver or initiator,
        client_id=payload.client_id,
        reason=payload.reason,
        approval_request_id=str(request.public_id),
        now=now,
    )
    return {"client_id": str(c.public_id), "client_no": c.client_no, "status": c.status}


def describe_client_freeze(*, payload: ClientFreeze) -> str:
    return str(_("Freeze client %(client)s") % {"client": _client_label(payload.client_id)})


# -- deposits and withdrawals -------------------------------------------------------
class CashPayload(BaseModel):
    account_id: UUID
    currency: str = Field(max_length=3)
    amount: str = Field(max_length=40)
    reference: str = Field(default="", max_length=64)
    remark: str = Field(default="", max_length=400)


def _cash(kind: str) -> ActionType:
    def order(actor: User, p: CashPayload) -> cash.CashOrder:
        return cash.cash_check(
            actor=actor,
            account_id=p.account_id,
            kind=kind,
            currency=p.currency,
            amount=p.amount,
            reference=p.reference,
            remark=p.remark,
        )

    def check(*, actor: User, payload: CashPayload, now: dt.datetime) -> Preview:
        o = order(actor, payload)
        return Preview(
            object_type="brokerage_account",
            object_id=str(o.account.public_id),
            # two equal movements may well be meant: each request is its own
            dedup_key=f"{kind}:{o.account.public_id}:{now.isoformat()}",
            after={
                "number": o.account.number,
                "kind": kind,
                "amount": str(o.amount.to_decimal()),
                "currency": o.amount.currency,
                "reference": o.reference,
            },
            amount=o.amount,
        )

    def execute(
        *,
        initiator: User,
        approver: User | None,
        payload: CashPayload,
        request: Any,
        now: dt.datetime,
    ) -> dict[str, Any]:
        m = cash.cash_book_within(
            actor=approver or initiator,
            order=order(initiator, payload),
            requested_by=initiator,
            approval_request_id=str(request.public_id),
            requested_at=request.created_at,
            now=now,
        )
        return {"movement_id": str(m.public_id), "transfer_id": str(m.transfer_id)}

    def on_reject(*, payload: CashPayload, request: Any, now: dt.datetime) -> None:
        o = cash.cash_order_recorded(
            account_id=payload.account_id,
            kind=kind,
            currency=payload.currency,
            amount=payload.amount,
            reference=payload.reference,
            remark=payload.remark,
        )
        if o is None:
            return
        cash.cash_reject_within(
            order=o,
            requested_by=request.initiator,
            approval_request_id=str(request.public_id),
            requested_at=request.created_at,
            now=now,
        )

    def describe(*, payload: CashPayload) -> str:
        label = _("Deposit") if kind == "deposit" else _("Withdrawal")
        return str(
            _("%(kind)s of %(amount)s %(currency)s on account %(number)s")
            % {
                "kind": label,
                "amount": payload.amount,
                "currency": payload.currency,
                "number": _account_label(payload.account_id),
            }
        )

    return ActionType(
        code=CASH_DEPOSIT if kind == "deposit" else CASH_WITHDRAWAL,
        label=_("Client deposit") if kind == "deposit" else _("Client withdrawal"),
        payload=CashPayload,
        check=check,
        execute=execute,
        describe=describe,
        on_reject=on_reject,
        permission=perms.CASH_RECORD,
    )


register(
    ActionType(
        code=ACCOUNT_OPEN,
        label=_("Open a trading account"),
        payload=AccountOpen,
        check=check_open,
        execute=execute_open,
        describe=describe_open,
        permission=perms.ACCOUNT_OPEN,
    )
)
register(
    ActionType(
        code=ACCOUNT_FREEZE,
        label=_("Freeze a trading account"),
        payload=AccountFreeze,
        check=check_account_freeze,
        execute=execute_account_freeze,
        describe=describe_account_freeze,
        permission=perms.SECURITY_ACTION,
    )
)
register(
    ActionType(
        code=CLIENT_FREEZE,
        label=_("Freeze a client"),
        payload=ClientFreeze,
        check=check_client_freeze,
        execute=execute_client_freeze,
        describe=describe_client_freeze,
        permission=perms.SECURITY_ACTION,
    )
)
register(_cash("deposit"))
register(_cash("withdrawal"))
