"""The booking rules, pure: no SQL, no clock, no I/O.

The general path locks the accounts and holds a call touches, loads them into
:class:`Acc` and :class:`Pending`, and applies each item here, in input order, to that
in-memory state: an item either becomes a :class:`Booking` (and moves the state's
deltas) or is refused with a :class:`~custodesk.ledger.errors.DomainError`, so a refusal
never needs a rollback.  PostgreSQL's ``ledger_book_one`` applies the same rules in
PL/pgSQL and may be stricter, never looser (``tests/services/test_fast_path.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from custodesk.core.money import SUPPORTED_CURRENCIES

from .. import errors as E
from .spec import FLAGS, MAX_AMOUNT, RESOLVING, Outcome, TransferSpec


@dataclass(slots=True)
class Acc:
    """A locked account: its row as read, and what this call adds to its counters."""

    id: int
    currency: str
    status: str
    dmnec: bool  # debits must not exceed credits
    cmned: bool  # credits must not exceed debits
    hot: bool
    debit_blocks: int
    credit_blocks: int
    frozen: int
    dp: int  # debits posted (hot accounts: deltas only, counters live in shards)
    cp: int
    dpe: int
    cpe: int
    code: str = ""
    # deltas accumulated by this call
    d_dp: int = 0
    d_cp: int = 0
    d_dpe: int = 0
    d_cpe: int = 0

    def touched(self) -> bool:
        return bool(self.d_dp or self.d_cp or self.d_dpe or self.d_cpe)


@dataclass(slots=True)
class Pending:
    """A locked hold, and how this call resolves it (``resolved_here``)."""

    id: int
    debit: int
    credit: int
    amount: int
    currency: str
    state: str
    timeout_at: dt.datetime | None
    resolved_here: str | None = None
    public_id: str = ""


@dataclass(slots=True)
class Booking:
    """An item that books: the transfer row to write."""

    index: int
    spec: TransferSpec
    debit: int
    credit: int
    amount: int
    currency: str
    flag: str
    pending_id: int | None
    timeout_at: dt.datetime | None
    public_id: Any = None


# -- checks ------------------------------------------------------------------------
def static_check(spec: TransferSpec) -> E.DomainError | None:
    """What is wrong with the request itself, before any account is looked at."""
    if spec.flag not in FLAGS:
        return E.InvalidAmount(detail=f"unknown flag {spec.flag!r}")
    if spec.flag in RESOLVING:
        if spec.pending_id is None:
            return E.PendingNotFound()
        if spec.amount is not None and not _positive_int(spec.amount):
            return E.InvalidAmount()
        return None
    if not _positive_int(spec.amount):
        return E.InvalidAmount()
    assert spec.amount is not None
    if spec.amount > MAX_AMOUNT:  # the BIGINT columns cannot hold it: refuse, do not crash
        return E.InvalidAmount(detail=f"the amount exceeds {MAX_AMOUNT} minor units")
    if spec.currency not in SUPPORTED_CURRENCIES:
        return E.CurrencyMismatch(detail=f"unsupported currency {spec.currency!r}")
    if spec.timeout_seconds is not None and (
        spec.flag != "pending"
        or not isinstance(spec.timeout_seconds, int)
        or spec.timeout_seconds <= 0
    ):
        return E.InvalidAmount(detail="timeout_seconds: a positive number of seconds, holds only")
    if spec.debit_account_id is None or spec.credit_account_id is None:
        return E.AccountNotFound()
    if spec.debit_account_id == spec.credit_account_id:
        return E.SameAccount()
    return None


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def check_accounts(
    d: Acc | None, c: Acc | None, currency: str, *, debit: bool = True, credit: bool = True
) -> E.DomainError | None:
    if d is None or c is None:
        return E.AccountNotFound()
    if d.currency != currency or c.currency != currency:
        return E.CurrencyMismatch()
    if d.status != "open" or c.status != "open":
        return E.AccountClosed()
    if debit and d.debit_blocks > 0:
        return E.AccountDebitFrozen()
    if credit and c.credit_blocks > 0:
        return E.AccountCreditFrozen()
    return None


def room_to_debit(a: Acc, amount: int, *, pending_released: int = 0) -> bool:
    if not a.dmnec:
        return True
    debits = a.dp + a.d_dp + a.dpe + a.d_dpe - pending_released + a.frozen + amount
    return debits <= a.cp + a.d_cp


def room_to_credit(a: Acc, amount: int, *, pending_released: int = 0) -> bool:
    if not a.cmned:
        return True
    credits = a.cp + a.d_cp + a.cpe + a.d_cpe - pending_released + amount
    return credits <= a.dp + a.d_dp


def overflows(a: Acc, *, debits: int = 0, credits: int = 0) -> bool:
    """Would a counter (or a sum the balance constraints add up) leave the BIGINT range?

    (SQLite would silently turn the counter into a float, PostgreSQL fail the whole call.)
    Hot accounts: only this call's deltas are seen here, their totals live in shards.
    """
    out = a.dp + a.d_dp + a.dpe + a.d_dpe + a.frozen + debits
    into = a.cp + a.d_cp + a.cpe + a.d_cpe + credits
    return out > MAX_AMOUNT or into > MAX_AMOUNT


# -- applying one item ---------------------------------------------------------------
def apply(
    spec: TransferSpec,
    index: int,
    accs: dict[int, Acc],
    pendings: dict[int, Pending],
    now: dt.datetime,
) -> Booking | E.DomainError:
    """Apply one transfer to the locked state; return the booking or the refusal."""
    err = static_check(spec)
    if err is not None:
        return err
    if spec.flag in RESOLVING:
        return _apply_resolution(spec, index, accs, pendings, now)
    return _apply_new(spec, index, accs, now)


def _apply_resolution(
    spec: TransferSpec,
    index: int,
    accs: dict[int, Acc],
    pendings: dict[int, Pending],
    now: dt.datetime,
) -> Booking | E.DomainError:
    """Post (in full or part) or void a hold."""
    assert spec.pending_id is not None
    p = pendings.get(spec.pending_id)
    if p is None:
        return E.PendingNotFound()
    if p.state != "pending" or p.resolved_here:
        return E.PendingAlreadyResolved(state=p.resolved_here or p.state)
    if spec.flag == "post_pending" and p.timeout_at is not None and p.timeout_at <= now:
        return E.PendingAlreadyResolved(state="expired")  # voiding it is still allowed
    d, c = accs.get(p.debit), accs.get(p.credit)
    if spec.flag == "void_pending":
        err = check_accounts(d, c, p.currency, debit=False, credit=False)
        if err is not None and not isinstance(err, E.AccountClosed):
            return err
        assert d is not None and c is not None
        d.d_dpe -= p.amount
        c.d_cpe -= p.amount
        p.resolved_here = "voided"
        return Booking(
            index, spec, p.debit, p.credit, p.amount, p.currency, "void_pending", p.id, None
        )
    amount = p.amount if spec.amount is None else spec.amount
    if amount > p.amount:
        return E.PostExceedsPending(pending_amount=p.amount)
    # a freeze placed after the hold stops it being posted (money out of a debit-
    # frozen account, into a credit-frozen one), as an amount freeze already did
    # through the available balance; voiding it (the money stays) is always allowed
    err = check_accounts(d, c, p.currency)
    if err is not None:
        return err
    assert d is not None and c is not None
    # posting releases the whole hold and posts `amount` (the rest is released)
    if not room_to_debit(d, amount, pending_released=p.amount):
        return E.ExceedsCredits()
    if not room_to_credit(c, amount, pending_released=p.amount):
        return E.ExceedsDebits()
    d.d_dpe -= p.amount
    c.d_cpe -= p.amount
    d.d_dp += amount
    c.d_cp += amount
    p.resolved_here = "posted"
    return Booking(index, spec, p.debit, p.credit, amount, p.currency, "post_pending", p.id, None)


def _apply_new(
    spec: TransferSpec, index: int, accs: dict[int, Acc], now: dt.datetime
) -> Booking | E.DomainError:
    """A posted transfer or a new hold."""
    assert spec.debit_account_id is not None and spec.credit_account_id is not None
    assert spec.amount is not None
    d, c = accs.get(spec.debit_account_id), accs.get(spec.credit_account_id)
    err = check_accounts(d, c, spec.currency)
    if err is not None:
        return err
    assert d is not None and c is not None
    if not room_to_debit(d, spec.amount):
        return E.ExceedsCredits()
    if not room_to_credit(c, spec.amount):
        return E.ExceedsDebits()
    if overflows(d, debits=spec.amount) or overflows(c, credits=spec.amount):
        return E.InvalidAmount(detail="the amount would overflow the account's counters")
    timeout_at = None
    if spec.flag == "pending":
        d.d_dpe += spec.amount
        c.d_cpe += spec.amount
        if spec.timeout_seconds:
            timeout_at = now + dt.timedelta(seconds=spec.timeout_seconds)
    else:
        d.d_dp += spec.amount
        c.d_cp += spec.amount
    return Booking(index, spec, d.id, c.id, spec.amount, spec.currency, spec.flag, None, timeout_at)


# -- applying a call ----------------------------------------------------------------
Refusal = tuple[int, E.DomainError]  # (index, why)


def apply_in_order(
    specs: Sequence[TransferSpec],
    live: list[int],
    accs: dict[int, Acc],
    pendings: dict[int, Pending],
    now: dt.datetime,
) -> tuple[list[Booking], list[Refusal]]:
    """Apply the items ``live`` (indexes into ``specs``) in input order.  Items sharing a
    ``group_id`` apply whole or not at all, at the position of the group's first item:
    one refusal refuses every member (the others ``group_failed``)."""
    groups: dict[str, list[int]] = {}
    for i in live:
        if specs[i].group_id:
            groups.setdefault(specs[i].group_id, []).append(i)
    bookings: list[Booking] = []
    refusals: list[Refusal] = []
    done_groups: set[str] = set()
    for i in live:
        group = specs[i].group_id
        if group:
            if group not in done_groups:
                done_groups.add(group)
                _apply_group(specs, groups[group], accs, pendings, now, bookings, refusals)
            continue
        r = apply(specs[i], i, accs, pendings, now)
        if isinstance(r, Booking):
            bookings.append(r)
        else:
            refusals.append((i, r))
    return bookings, refusals


def _apply_group(
    specs: Sequence[TransferSpec],
    members: list[int],
    accs: dict[int, Acc],
    pendings: dict[int, Pending],
    now: dt.datetime,
    bookings: list[Booking],
    refusals: list[Refusal],
) -> None:
    snap = _snapshot(accs, pendings)
    results = [(j, apply(specs[j], j, accs, pendings, now)) for j in members]
    failed = [j for j, r in results if not isinstance(r, Booking)]
    if not failed:
        bookings.extend(r for _, r in results if isinstance(r, Booking))
        return
    _restore(accs, pendings, snap)
    for j, r in results:
        refusals.append(
            (j, r if isinstance(r, E.DomainError) else E.GroupFailed(failed_index=failed[0]))
        )


def _snapshot(accs: dict[int, Acc], pendings: dict[int, Pending]) -> Any:
    return (
        {i: (a.d_dp, a.d_cp, a.d_dpe, a.d_cpe) for i, a in accs.items()},
        {i: p.resolved_here for i, p in pendings.items()},
    )


def _restore(accs: dict[int, Acc], pendings: dict[int, Pending], snap: Any) -> None:
    acc_snap, pend_snap = snap
    for i, (a, b, c, d) in acc_snap.items():
        acc = accs[i]
        acc.d_dp, acc.d_cp, acc.d_dpe, acc.d_cpe = a, b, c, d
    for i, r in pend_snap.items():
        pendings[i].resolved_here = r


def refused(index: int, err: E.DomainError) -> Outcome:
    return Outcome(index, False, code=err.code, detail=str(err.detail or err.title))


# -- idempotency -------------------------------------------------------------------
Booked = dict[str, tuple[int, str]]  # key → (transfer id, request digest)
# key → (refused attempt's id, code, detail, request digest)
RefusedBefore = dict[str, tuple[int, str, str, str]]


def recorded_answer(
    i: int, s: TransferSpec, booked: Booked, refused: RefusedBefore
) -> Outcome | None:
    """The stored answer for an item whose key is already booked or refused, if any:
    the same content replays it; other content is ``idempotency_conflict``."""
    k = s.idempotency_key
    if not k or (k not in booked and k not in refused):
        return None
    if k in booked:
        tid, digest = booked[k]
        if digest == s.digest():
            return Outcome(i, True, transfer={"id": tid}, replayed=True)
    else:
        _rid, code, detail, digest = refused[k]
        if digest == s.digest():
            return Outcome(i, False, code=code, detail=detail, replayed=True)
    return Outcome(
        i, False, code=E.IdempotencyConflict.code, detail=str(E.IdempotencyConflict.title)
    )
