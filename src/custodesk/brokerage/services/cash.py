"""Client deposits and withdrawals recorded by staff, dual-controlled and booked in
the ledger (the account detail's "assets and transactions" tab).

Approvable commands ``brokerage.cash_deposit`` / ``brokerage.cash_withdrawal``
(brokerage.approvals; the amount is the request's amount, so a flow may add levels
above a threshold).  On approval the transfer is booked between the client's cash
account and the broker's bank/clearing account of that currency (opened on first use,
``bank_clearing``): a deposit debits the bank and credits the client, a withdrawal the
reverse — the ledger refuses a withdrawal beyond the client's available cash or on a
frozen account.  A rejected request is kept as a rejected movement.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from uuid import UUID

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from custodesk.core import access
from custodesk.core.errors import ValidationFailed
from custodesk.core.money import Money, check_currency
from custodesk.identity.models import User
from custodesk.ledger import facade as ledger

from .. import permissions as perms
from ..errors import AccountNotActive
from ..models import Account, AccountCash, BrokerCashAccount, CashMovement
from .accounts import audit_account, get_account


@dataclass(frozen=True)
class CashOrder:
    account: Account
    cash: AccountCash
    kind: str
    amount: Money
    reference: str
    remark: str


def cash_check(
    *,
    actor: User,
    account_id: UUID | str,
    kind: str,
    currency: str,
    amount: str,
    reference: str = "",
    remark: str = "",
) -> CashOrder:
    """Whether the deposit/withdrawal may be recorded (no writes): the account active
    and not frozen, a cash account in the currency, a positive amount in the currency's
    decimals; a withdrawal within the available cash.

    Raises ValidationFailed, NotFound, AccountNotActive, ledger.ExceedsCredits,
    PermissionDenied."""
    access.require(actor, perms.CASH_RECORD)
    if kind not in CashMovement.Kind.values:
        raise ValidationFailed.single("kind", "choice", _("Deposit or withdrawal."))
    check_currency(currency)
    money = Money.from_decimal(amount, currency)
    if money.minor <= 0:
        raise ValidationFailed.single("amount", "positive", _("The amount must be positive."))
    a = get_account(account_id)
    if a.status != Account.Status.ACTIVE or a.frozen:
        raise AccountNotActive(state="frozen" if a.frozen else a.status)
    cash = a.cash_accounts.filter(currency=currency).first()
    if cash is None:
        raise ValidationFailed.single(
            "currency", "no_cash_account", _("The account holds no cash in this currency.")
        )
    if kind == CashMovement.Kind.WITHDRAWAL:
        available = ledger.balances(actor=actor, account_id=cash.ledger_account_id).available
        if available.minor < money.minor:
            raise ledger.ExceedsCredits(
                field="amount", available=str(available.to_decimal()), currency=currency
            )
    return CashOrder(a, cash, kind, money, (reference or "").strip(), (remark or "").strip())


def cash_order_recorded(
    *, account_id: UUID | str, kind: str, currency: str, amount: str, reference: str, remark: str
) -> CashOrder | None:
    """The order of a request as it was submitted, without checking the account's state
    now (to keep a rejected request on the record); None if it no longer makes sense."""
    a = Account.objects.select_related("client").filter(public_id=account_id).first()
    cash = a.cash_accounts.filter(currency=currency).first() if a else None
    if a is None or cash is None:
        return None
    try:
        money = Money.from_decimal(amount, currency)
    except ValidationFailed:
        return None
    return CashOrder(a, cash, kind, money, reference.strip(), remark.strip())


def broker_bank_account(*, actor: User | None, currency: str, now: dt.datetime) -> int:
    """The ledger id of the broker's bank/clearing account in ``currency`` (opened on
    first use, in the caller's transaction)."""
    found = BrokerCashAccount.objects.filter(currency=currency).first()
    if found is not None:
        return found.ledger_account_id
    try:
        with transaction.atomic():
            acc = ledger.open_account(
                actor=actor,
                code=f"BRK-BANK-{currency}",
                kind=ledger.AccountKind.BANK_CLEARING,
                currency=currency,
                name=f"Broker bank / clearing {currency}",
                owner=ledger.Owner(type="brokerage_bank", id=currency),
                now=now,
            )
            BrokerCashAccount.objects.create(currency=currency, ledger_account_id=acc.id)
            return acc.id
    except (IntegrityError, ValidationFailed):  # opened concurrently
        return BrokerCashAccount.objects.get(currency=currency).ledger_account_id


def cash_book_within(
    *,
    actor: User,
    order: CashOrder,
    requested_by: User,
    approval_request_id: str,
    requested_at: dt.datetime,
    now: dt.datetime,
) -> CashMovement:
    """Book an approved movement (in the approving transaction)."""
    bank = broker_bank_account(actor=actor, currency=order.amount.currency, now=now)
    deposit = order.kind == CashMovement.Kind.DEPOSIT
    t = ledger.transfer(
        actor=actor,
        debit_account_id=bank if deposit else order.cash.ledger_account_id,
        credit_account_id=order.cash.ledger_account_id if deposit else bank,
        amount=order.amount,
        kind=f"brokerage_{order.kind}",
        metadata={"account": order.account.number, "reference": order.reference},
        idempotency_key=f"brokerage-cash:{approval_request_id}",
        now=now,
        business_date=now.date(),
    )
    return _movement(
        order,
        status=CashMovement.Status.COMPLETED,
        transfer_id=t.id,
        actor=actor,
        requested_by=requested_by,
        approval_request_id=approval_request_id,
        requested_at=requested_at,
        now=now,
    )


def cash_reject_within(
    *,
    order: CashOrder,
    requested_by: User,
    approval_request_id: str,
    requested_at: dt.datetime,
    now: dt.datetime,
) -> CashMovement:
    """Keep a rejected request as a rejected movement (in the rejecting transaction)."""
    return _movement(
        order,
        status=CashMovement.Status.REJECTED,
        transfer_id=None,
        actor=None,
        requested_by=requested_by,
        approval_request_id=approval_request_id,
        requested_at=requested_at,
        now=now,
    )


def _movement(
    order: CashOrder,
    *,
    status: str,
    transfer_id: UUID | None,
    actor: User | None,
    requested_by: User,
    approval_request_id: str,
    requested_at: dt.datetime,
    now: dt.datetime,
) -> CashMovement:
    m = CashMovement.objects.create(
        account=order.account,
        kind=order.kind,
        currency=order.amount.currency,
        amount_minor=order.amount.minor,
        status=status,
        reference=order.reference,
        remark=order.remark,
        transfer_id=transfer_id,
        approval_id=UUID(approval_request_id),
        requested_by=requested_by,
        requested_at=requested_at,
        decided_at=now,
    )
    audit_account(
        order.account,
        actor=actor,
        action=f"brokerage.cash.{order.kind}.{status}",
        after={
            "movement": str(m.public_id),
            "kind": order.kind,
            "amount": str(order.amount.to_decimal()),
            "currency": order.amount.currency,
            "status": status,
            "reference": order.reference,
        },
        reason=order.remark,
        approval_request_id=approval_request_id,
        now=now,
    )
    return m
