"""The ledger's public interface for other modules (custody, funds, markets, brokers, ...).

Other modules open accounts, book transfers, place holds and post or void them, freeze
accounts and read balances and statements **only through this module**: typed
dataclasses in and out (amounts as :class:`~custodesk.core.money.Money`, never bare
integers), the refusals as :class:`~custodesk.core.errors.DomainError` subclasses
(re-exported here), and no model, engine or private name of the ledger.

**Transactions — the caller's transaction is the unit.**

* Called *inside* the caller's transaction (``with transaction.atomic(durable=True)``
  in its own service), every function works in that transaction: it opens no
  transaction of its own (only a savepoint, so an error leaves the caller's transaction
  usable), commits nothing, and a refusal raises — if the caller lets it propagate,
  everything the use case wrote rolls back together, the refused attempt's record
  included (the use case failed as a whole; it is the caller's to record why, e.g. in
  its own audit row after the rollback).  **No retry loop runs inside the caller's
  transaction**: a deadlock or serialisation failure (``OperationalError``) or an
  idempotency-key race (``IntegrityError``) reaches the caller, whose use case must be
  retried whole — retrying only the ledger's part would keep the caller's locks while
  waiting again for the same lock, and a deadlock against them would repeat each time.
  Lock accounts in a fixed order across calls: one call takes its accounts in id order.
* Called *outside* any transaction (a job, a command), each write is its own durable
  transaction, and bookings are retried on deadlocks and key races (bounded, jitter);
  a refused booking is committed as a refused attempt before its error is raised.

**Authority and scope.**  Writes check no ledger permission (the ``ledger.*``
permissions are staff-only, and a member's user acts through the calling module): the
calling service has authorised its use case and names the accounts it owns.  ``actor``
(a user, or None for a job) is recorded as who asked (transfers) and in the audit log
(accounts, freezes).  Reads are scoped to the actor: staff see every account, anyone
else only the accounts of its own organisation (``Owner.organisation_id``); outside
accounts are :class:`AccountNotFound`.

Accounts are named by their internal id (:attr:`Account.id`, what a module stores),
holds and freezes by their public id (:attr:`Transfer.id`, :attr:`Freeze.id`).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.db import transaction

from custodesk.core.errors import DomainError, NotFound, ValidationFailed
from custodesk.core.money import Money

from . import selectors, services
from .errors import (
    AccountClosed,
    AccountCreditFrozen,
    AccountDebitFrozen,
    AccountHasBalance,
    AccountNotFound,
    CurrencyMismatch,
    ExceedsCredits,
    ExceedsDebits,
    GroupFailed,
    IdempotencyConflict,
    InvalidAmount,
    LedgerRefusal,
    PendingAlreadyResolved,
    PendingNotFound,
    PostExceedsPending,
    SameAccount,
)
from .models import AccountFreeze, LedgerAccount, LedgerTransfer

if TYPE_CHECKING:
    from custodesk.identity.models import User

__all__ = [
    "Account",
    "AccountClosed",
    "AccountCreditFrozen",
    "AccountDebitFrozen",
    "AccountHasBalance",
    "AccountKind",
    "AccountList",
    "AccountNotFound",
    "BalanceRule",
    "Balances",
    "CurrencyMismatch",
    "DomainError",
    "ExceedsCredits",
    "ExceedsDebits",
    "Freeze",
    "FreezeKind",
    "GroupFailed",
    "HoldResolution",
    "IdempotencyConflict",
    "InvalidAmount",
    "LedgerRefusal",
    "NotFound",
    "Owner",
    "PendingAlreadyResolved",
    "PendingNotFound",
    "PostExceedsPending",
    "SameAccount",
    "Statement",
    "StatementLine",
    "Transfer",
    "ValidationFailed",
    "account",
    "accounts",
    "balances",
    "close_account",
    "freeze",
    "hold",
    "open_account",
    "owned_balances",
    "owned_statement",
    "post_hold",
    "post_holds",
    "release_freeze",
    "statement",
    "transfer",
    "void_hold",
    "void_holds",
]

AccountKind = LedgerAccount.Kind
FreezeKind = AccountFreeze.Kind


class BalanceRule(enum.StrEnum):
    """What the database refuses on the account's counters."""

    NONE = "none"
    # money owed to a member or client: its available balance never goes below zero
    DEBITS_MUST_NOT_EXCEED_CREDITS = "debits_must_not_exceed_credits"
    CREDITS_MUST_NOT_EXCEED_DEBITS = "credits_must_not_exceed_debits"


# -- what goes in and out ------------------------------------------------------------------
@dataclass(frozen=True)
class Owner:
    """Whose account it is: the owning module's object (``type``/``id``) and the
    organisation whose users may see it (None: staff only)."""

    type: str = ""
    id: str = ""
    organisation_id: int | None = None


@dataclass(frozen=True)
class Account:
    id: int
    public_id: UUID
    code: str
    name: str
    kind: str
    currency: str
    status: str
    owner: Owner
    rule: BalanceRule
    hot: bool


@dataclass(frozen=True)
class Balances:
    """Credit-normal (what the ledger owes the owner): ``posted`` = credits − debits
    posted; ``available`` = posted − pending debits − frozen."""

    account_id: int
    code: str
    posted: Money
    pending_debits: Money
    pending_credits: Money
    frozen: Money
    available: Money
    debit_frozen: bool
    credit_frozen: bool
    as_of: dt.datetime | None


@dataclass(frozen=True)
class Transfer:
    id: UUID
    debit_account: str
    credit_account: str
    amount: Money
    flag: str  # posted, pending (a hold), post_pending, void_pending
    pending_state: str  # a hold's: pending, posted, voided, expired
    hold_id: UUID | None  # the hold a post_pending / void_pending resolved
    timeout_at: dt.datetime | None
    kind: str
    business_date: dt.date
    metadata: dict[str, Any]
    created_at: dt.datetime
    replayed: bool = False  # an earlier booking under the same idempotency key


@dataclass(frozen=True)
class Freeze:
    id: UUID
    account_id: int
    kind: str
    amount: Money | None
    reason_code: str
    legal_reference: str
    placed_at: dt.datetime
    expires_at: dt.datetime | None
    released_at: dt.datetime | None


@dataclass(frozen=True)
class StatementLine:
    transfer_id: UUID
    business_date: dt.date
    created_at: dt.datetime
    kind: str
    counterparty: str
    debit: Money
    credit: Money
    balance: Money
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Statement:
    account_id: int
    code: str
    date_from: dt.date
    date_to: dt.date
    opening: Money
    closing: Money
    lines: tuple[StatementLine, ...]


@dataclass(frozen=True)
class AccountList:
    items: tuple[tuple[Account, Balances], ...]
    next_after: str | None  # pass as ``after`` for the next page (None: the last one)


# -- transactions --------------------------------------------------------------------------
@contextmanager
def _unit() -> Iterator[None]:
    """The caller's transaction when it has one (a savepoint of it), else our own."""
    outer = transaction.get_connection().in_atomic_block
    with transaction.atomic(durable=not outer):
        yield


# -- accounts ------------------------------------------------------------------------------
def open_account(
    *,
    actor: User | None,
    code: str,
    kind: str,
    currency: str,
    name: str = "",
    owner: Owner | None = None,
    rule: BalanceRule = BalanceRule.NONE,
    hot: bool = False,
    now: dt.datetime,
) -> Account:
    """Open an account (audited as ``actor``).  Raises ``ValidationFailed`` (code taken,
    unknown kind, unsupported currency, a hot account with a balance rule)."""
    owner = owner or Owner()
    with _unit():
        a = services.account_open_within(
            actor=actor,
            code=code,
            kind=kind,
            currency=currency,
            name=name,
            owner_type=owner.type,
            owner_id=owner.id,
            organisation_id=owner.organisation_id,
            debits_must_not_exceed_credits=rule is BalanceRule.DEBITS_MUST_NOT_EXCEED_CREDITS,
            credits_must_not_exceed_debits=rule is BalanceRule.CREDITS_MUST_NOT_EXCEED_DEBITS,
            hot=hot,
            now=now,
        )
    return _account(a)


def close_account(*, actor: User | None, account_id: int, reason: str, now: dt.datetime) -> Account:
    """Close an account with a zero balance and nothing pending or frozen (audited as
    ``actor``); a closed account takes no more transfers.  Raises
    :class:`AccountHasBalance`, :class:`AccountNotFound`, ``ValidationFailed`` (no
    reason) or ``IllegalTransition`` (already closed)."""
    with _unit():
        a = services.account_close_within(
            actor=actor, account_id=account_id, reason=reason, now=now
        )
    return _account(a)


def account(*, actor: User, account_id: int | None = None, code: str | None = None) -> Account:
    """An account the actor sees, by id or code (``AccountNotFound`` otherwise)."""
    if account_id is not None:
        return _account(selectors.account_get(actor=actor, pk=account_id))
    return _account(selectors.account_get(actor=actor, code=code))


def accounts(
    *,
    actor: User,
    kind: str | None = None,
    currency: str | None = None,
    owner_id: str | None = None,
    after: str | None = None,
    limit: int = 50,
) -> AccountList:
    """The accounts the actor sees with their balances, by account number, a keyset page
    at a time (``after``: the previous page's ``next_after``)."""
    filters = {"kind": kind, "currency": currency, "owner_id": owner_id}
    page = selectors.accounts(actor=actor, filters=filters, after=after, limit=limit)
    return AccountList(
        items=tuple((_account(a), _balances(a, b)) for a, b in page.items),
        next_after=page.next_after,
    )


def balances(*, actor: User, account_id: int, as_of: dt.datetime | None = None) -> Balances:
    """Balances now, or as of a past moment (recomputed from the transfers)."""
    a = selectors.account_get(actor=actor, pk=account_id)
    return _balances(a, selectors.balance(a, as_of=as_of))


def statement(*, actor: User, account_id: int, date_from: dt.date, date_to: dt.date) -> Statement:
    """Posted movements by business date (inclusive), with opening, running and closing
    balances (credit-normal).  ``ValidationFailed`` when ``date_to`` is before ``date_from``."""
    a = selectors.account_get(actor=actor, pk=account_id)
    return _statement(a, date_from=date_from, date_to=date_to)


# -- reads a calling module has scoped itself ------------------------------------------------
# A market's users see their members' custody sub-accounts (the member account query),
# which the actor scope above hides (they belong to the member's organisation): the
# calling module decides who may see which of its accounts and asks by id.
def owned_balances(*, account_ids: Sequence[int]) -> dict[int, Balances]:
    """Balances now of the given accounts (missing ids are left out), without the actor
    scope — the caller has scoped the ids.  Two queries whatever the number."""
    rows = list(LedgerAccount.objects.filter(pk__in=list(account_ids)))
    got = selectors.balances(rows)
    return {a.pk: _balances(a, got[a.pk]) for a in rows}


def owned_statement(*, account_id: int, date_from: dt.date, date_to: dt.date) -> Statement:
    """:func:`statement` without the actor scope — the caller has scoped the id.  Raises
    :class:`AccountNotFound` or ``ValidationFailed``."""
    return _statement(_account_row(account_id), date_from=date_from, date_to=date_to)


def _statement(a: LedgerAccount, *, date_from: dt.date, date_to: dt.date) -> Statement:
    st = selectors.statement(a, date_from=date_from, date_to=date_to)
    c = a.currency
    return Statement(
        account_id=a.pk,
        code=a.code,
        date_from=st.date_from,
        date_to=st.date_to,
        opening=Money(st.opening, c),
        closing=Money(st.closing, c),
        lines=tuple(
            StatementLine(
                transfer_id=UUID(str(ln["id"])),
                business_date=ln["business_date"],
                created_at=ln["created_at"],
                kind=ln["kind"],
                counterparty=ln["counterparty"],
                debit=Money(ln["debit"], c),
                credit=Money(ln["credit"], c),
                balance=Money(ln["balance"], c),
                metadata=ln["metadata"],
            )
            for ln in st.lines
        ),
    )


# -- transfers and holds ---------------------------------------------------------------------
def transfer(
    *,
    actor: User | None,
    debit_account_id: int,
    credit_account_id: int,
    amount: Money,
    kind: str = "transfer",
    metadata: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
    now: dt.datetime,
    business_date: dt.date,
) -> Transfer:
    """Book a posted transfer.  Raises the refusal (:class:`ExceedsCredits`,
    :class:`AccountDebitFrozen`, :class:`CurrencyMismatch`, ...), or
    :class:`IdempotencyConflict` for a key used with other content; the same key with
    the same content answers the first transfer (``replayed``)."""
    return _book(
        actor=actor,
        now=now,
        business_date=business_date,
        debit_account_id=debit_account_id,
        credit_account_id=credit_account_id,
        amount=amount.minor,
        currency=amount.currency,
        kind=kind,
        metadata=metadata or {},
        idempotency_key=idempotency_key,
    )


def hold(
    *,
    actor: User | None,
    debit_account_id: int,
    credit_account_id: int,
    amount: Money,
    timeout_seconds: int | None = None,
    kind: str = "hold",
    metadata: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
    now: dt.datetime,
    business_date: dt.date,
) -> Transfer:
    """Place a hold (a pending transfer): the amount leaves the debited account's
    available balance until :func:`post_hold` or :func:`void_hold` (or its timeout, after
    which the expiry job voids it).  Refusals as for :func:`transfer`."""
    return _book(
        actor=actor,
        now=now,
        business_date=business_date,
        debit_account_id=debit_account_id,
        credit_account_id=credit_account_id,
        amount=amount.minor,
        currency=amount.currency,
        flag="pending",
        timeout_seconds=timeout_seconds,
        kind=kind,
        metadata=metadata or {},
        idempotency_key=idempotency_key,
    )


def post_hold(
    *,
    actor: User | None,
    hold_id: UUID,
    amount: Money | None = None,
    kind: str = "post_pending",
    metadata: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
    now: dt.datetime,
    business_date: dt.date,
) -> Transfer:
    """Post a hold in full (``amount`` None) or in part (the rest is released).  Raises
    :class:`PendingNotFound`, :class:`PendingAlreadyResolved`,
    :class:`PostExceedsPending`, :class:`CurrencyMismatch`, or a freeze placed since."""
    pk, currency = _hold(hold_id)
    if amount is not None and amount.currency != currency:
        raise CurrencyMismatch(hold_currency=currency, currency=amount.currency)
    return _book(
        actor=actor,
        now=now,
        business_date=business_date,
        flag="post_pending",
        pending_id=pk,
        amount=amount.minor if amount is not None else None,
        kind=kind,
        metadata=metadata or {},
        idempotency_key=idempotency_key,
    )


def void_hold(
    *,
    actor: User | None,
    hold_id: UUID,
    kind: str = "void_pending",
    metadata: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
    now: dt.datetime,
    business_date: dt.date,
) -> Transfer:
    """Void a hold: the amount returns to the available balance.  Raises
    :class:`PendingNotFound` or :class:`PendingAlreadyResolved`."""
    pk, _currency = _hold(hold_id)
    return _book(
        actor=actor,
        now=now,
        business_date=business_date,
        flag="void_pending",
        pending_id=pk,
        kind=kind,
        metadata=metadata or {},
        idempotency_key=idempotency_key,
    )


@dataclass(frozen=True)
class HoldResolution:
    """One hold to post (in full) or void in :func:`post_holds` / :func:`void_holds`."""

    hold_id: UUID
    kind: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    idempotency_key: str | None = None


def post_holds(
    *,
    actor: User | None,
    holds: Sequence[HoldResolution],
    now: dt.datetime,
    business_date: dt.date,
) -> list[Transfer | DomainError]:
    """Post many holds in full in one booking (one lock per account, one write per
    table): an answer per item, in order — the posting, or the refusal as it would
    have been raised by :func:`post_hold` (the others are booked all the same)."""
    return _resolve_holds(actor, holds, "post_pending", now=now, business_date=business_date)


def void_holds(
    *,
    actor: User | None,
    holds: Sequence[HoldResolution],
    now: dt.datetime,
    business_date: dt.date,
) -> list[Transfer | DomainError]:
    """Void many holds in one booking; an answer per item, as :func:`post_holds`."""
    return _resolve_holds(actor, holds, "void_pending", now=now, business_date=business_date)


def _resolve_holds(
    actor: User | None,
    holds: Sequence[HoldResolution],
    flag: str,
    *,
    now: dt.datetime,
    business_date: dt.date,
) -> list[Transfer | DomainError]:
    if not holds:
        return []
    found = dict(
        LedgerTransfer.objects.filter(
            public_id__in=[h.hold_id for h in holds], flag=LedgerTransfer.Flag.PENDING
        ).values_list("public_id", "pk")
    )
    answers: list[Transfer | DomainError | None] = [None] * len(holds)
    specs: list[services.TransferSpec] = []
    where: list[int] = []
    for i, h in enumerate(holds):
        if h.hold_id not in found:
            answers[i] = PendingNotFound(transfer=str(h.hold_id))
            continue
        specs.append(
            services.TransferSpec(
                flag=flag,
                pending_id=found[h.hold_id],
                kind=h.kind or flag,
                metadata=h.metadata,
                idempotency_key=h.idempotency_key,
            )
        )
        where.append(i)
    if specs:
        outcomes = services.book(specs, requested_by=actor, now=now, business_date=business_date)
        for i, out in zip(where, outcomes, strict=True):
            if out.ok:
                assert out.transfer is not None
                answers[i] = _transfer(out.transfer, replayed=out.replayed)
            else:
                answers[i] = services.refusal_error(out)
    return [a for a in answers if a is not None]


# -- freezes --------------------------------------------------------------------------------
def freeze(
    *,
    actor: User | None,
    account_id: int,
    kind: str,
    reason_code: str,
    amount: Money | None = None,
    legal_reference: str = "",
    expires_at: dt.datetime | None = None,
    now: dt.datetime,
) -> Freeze:
    """Place a freeze (``FreezeKind``: full, debit, credit, or an amount); freezes stack.
    Raises ``ValidationFailed``, :class:`AccountNotFound`, :class:`AccountClosed`, or
    :class:`ExceedsCredits` for an amount beyond the available balance."""
    with _unit():
        a = _account_row(account_id)
        if amount is not None and amount.currency != a.currency:
            raise CurrencyMismatch(account_currency=a.currency, currency=amount.currency)
        f = services.freeze_place_within(
            actor=actor,
            account_id=account_id,
            kind=kind,
            reason_code=reason_code,
            amount=amount.minor if amount is not None else None,
            legal_reference=legal_reference,
            expires_at=expires_at,
            now=now,
        )
    return _freeze(f, a.currency)


def release_freeze(*, actor: User | None, freeze_id: UUID, reason: str, now: dt.datetime) -> Freeze:
    """Release a freeze in force.  Raises ``ValidationFailed`` (no reason), ``NotFound``
    or ``IllegalTransition`` (already released)."""
    with _unit():
        f = services.freeze_release_within(actor=actor, freeze_id=freeze_id, reason=reason, now=now)
        currency = _account_row(f.account_id).currency
    return _freeze(f, currency)


# -- helpers -----------------------------------------------------------------------------
def _book(*, actor: User | None, now: dt.datetime, business_date: dt.date, **spec: Any) -> Transfer:
    """Book one transfer (``spec``: the engine's ``TransferSpec`` fields); raise its
    refusal."""
    out = services.book_one(
        services.TransferSpec(**spec), requested_by=actor, now=now, business_date=business_date
    )
    if not out.ok:
        raise services.refusal_error(out)
    assert out.transfer is not None
    return _transfer(out.transfer, replayed=out.replayed)


def _hold(hold_id: UUID) -> tuple[int, str]:
    found = (
        LedgerTransfer.objects.filter(public_id=hold_id, flag=LedgerTransfer.Flag.PENDING)
        .values_list("pk", "currency")
        .first()
    )
    if found is None:
        raise PendingNotFound(transfer=str(hold_id))
    return found


def _account_row(account_id: int) -> LedgerAccount:
    a = LedgerAccount.objects.filter(pk=account_id).first()
    if a is None:
        raise AccountNotFound(account=str(account_id))
    return a


def _account(a: LedgerAccount) -> Account:
    rule = (
        BalanceRule.DEBITS_MUST_NOT_EXCEED_CREDITS
        if a.debits_must_not_exceed_credits
        else BalanceRule.CREDITS_MUST_NOT_EXCEED_DEBITS
        if a.credits_must_not_exceed_debits
        else BalanceRule.NONE
    )
    return Account(
        id=a.pk,
        public_id=a.public_id,
        code=a.code,
        name=a.name,
        kind=a.kind,
        currency=a.currency,
        status=a.status,
        owner=Owner(a.owner_type, a.owner_id, a.organisation_id),
        rule=rule,
        hot=a.hot,
    )


def _balances(a: LedgerAccount, b: selectors.Balance) -> Balances:
    c = a.currency
    return Balances(
        account_id=a.pk,
        code=a.code,
        posted=Money(b.balance, c),
        pending_debits=Money(b.debits_pending, c),
        pending_credits=Money(b.credits_pending, c),
        frozen=Money(b.frozen_amount, c),
        available=Money(b.available, c),
        debit_frozen=a.debit_blocks > 0,
        credit_frozen=a.credit_blocks > 0,
        as_of=b.as_of,
    )


def _transfer(t: dict[str, Any], *, replayed: bool) -> Transfer:
    return Transfer(
        id=UUID(str(t["id"])),
        debit_account=t["debit_account"],
        credit_account=t["credit_account"],
        amount=Money(t["amount"], t["currency"]),
        flag=t["flag"],
        pending_state=t["pending_state"],
        hold_id=UUID(str(t["pending_id"])) if t["pending_id"] else None,
        timeout_at=t["timeout_at"],
        kind=t["kind"],
        business_date=t["business_date"],
        metadata=t["metadata"],
        created_at=t["created_at"],
        replayed=replayed,
    )


def _freeze(f: AccountFreeze, currency: str) -> Freeze:
    return Freeze(
        id=f.public_id,
        account_id=f.account_id,
        kind=f.kind,
        amount=Money(f.amount, currency) if f.amount is not None else None,
        reason_code=f.reason_code,
        legal_reference=f.legal_reference,
        placed_at=f.placed_at,
        expires_at=f.expires_at,
        released_at=f.released_at,
    )
