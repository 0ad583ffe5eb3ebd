"""The booking engine: the one module that talks SQL to the ledger tables.

One call books a list of transfers in **one database transaction**:

1. static checks per item (amount, currency, distinct accounts);
2. idempotency: items whose key is already booked (or refused) are answered from
   the stored result; a key reused for different content is ``idempotency_conflict``;
3. lock the accounts involved, in id order (``FOR UPDATE``; hot accounts ``FOR
   SHARE`` since their counters live in shard rows), and the pending transfers
   that items post or void;
4. apply every item to the locked state **in memory**, in input order (an atomic
   group applies whole or not at all), so a refusal never needs a rollback;
5. write: one multi-row INSERT for the transfers, one UPDATE for all touched
   account rows, one UPDATE per touched hot-account shard, the resolved pending
   transfers, and the refused attempts.

The database constraints (non-negative counters, flags, positive amounts,
unique keys) are the backstop; they never fire unless this module is wrong.
SQLite has no row locks: its IMMEDIATE transactions serialise writers instead.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    IntegrityError,
    OperationalError,
    connection,
    connections,
    transaction,
)

from custodesk.core import sql as sql_helpers
from custodesk.core.ids import uuid7
from custodesk.core.money import SUPPORTED_CURRENCIES

from . import errors as E
from .models import HOT_SLOTS

MAX_BATCH = 8190
# Below this many rows, plain VALUES / IN lists are cheaper than array parameters
# (measured: arrays doubled the cost of a single transfer, halved a batch's).
ARRAY_THRESHOLD = 32
MAX_RETRIES = 8
MAX_AMOUNT = 2**63 - 1  # the largest amount (and counter) a BIGINT column holds
FLAGS = ("posted", "pending", "post_pending", "void_pending")

T = TypeVar("T")


@dataclass
class TransferSpec:
    """One requested transfer, with internal account ids and minor units."""

    debit_account_id: int | None = None
    credit_account_id: int | None = None
    amount: int | None = None  # post_pending: None posts the full pending amount
    currency: str = ""
    flag: str = "posted"
    pending_id: int | None = None
    timeout_seconds: int | None = None
    kind: str = "transfer"
    idempotency_key: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    group_id: str = ""
    # Account codes, for a caller that has no ids (the API): the engine resolves them,
    # and PostgreSQL's one-round-trip booking does so in the same call.
    debit_code: str | None = None
    credit_code: str | None = None

    def digest(self) -> str:
        body = {
            "debit": self.debit_account_id,
            "credit": self.credit_account_id,
            "amount": self.amount,
            "currency": self.currency,
            "flag": self.flag,
            "pending": self.pending_id,
            "timeout": self.timeout_seconds,
            "kind": self.kind,
            "metadata": self.metadata,
            "group": self.group_id,
        }
        raw = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(raw.encode()).hexdigest()


@dataclass
class Outcome:
    index: int
    ok: bool
    transfer: dict[str, Any] | None = None
    code: str | None = None
    detail: str = ""
    replayed: bool = False


@dataclass(slots=True)
class _Acc:
    id: int
    currency: str
    status: str
    dmnec: bool
    cmned: bool
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


@dataclass(slots=True)
class _Pending:
    id: int
    debit: int
    credit: int
    amount: int
    currency: str
    state: str
    timeout_at: dt.datetime | None
    resolved_here: str | None = None
    public_id: str = ""


# -- account metadata cache (the hot flag never changes) -------------------------------
_meta_lock = threading.Lock()


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _placeholders(n: int) -> str:
    return ", ".join(["%s"] * n)


HOT_CACHE_SECONDS = 30.0
_hot_ids: set[int] = set()
_hot_loaded_at = 0.0


def _hot_set() -> set[int]:
    """Ids of hot accounts (few: markets' summary accounts), reloaded every 30 s.

    A stale set only changes the lock mode chosen for a newly opened hot account
    (FOR UPDATE instead of FOR SHARE); where its counters go is decided by the
    row's own ``hot`` column, read under the lock, so balances stay right.
    """
    global _hot_ids, _hot_loaded_at
    if time.monotonic() - _hot_loaded_at > HOT_CACHE_SECONDS:
        with connection.cursor() as cur:
            cur.execute("SELECT id FROM ledger_account WHERE hot")
            ids = {r[0] for r in cur.fetchall()}
        with _meta_lock:
            _hot_ids, _hot_loaded_at = ids, time.monotonic()
    return _hot_ids


def _hot_list() -> list[int]:
    """The hot set as a sorted list (an array parameter), rebuilt only when it changes."""
    global _hot_sorted, _hot_sorted_from
    hot = _hot_set()
    if hot is not _hot_sorted_from:
        _hot_sorted, _hot_sorted_from = sorted(hot), hot
    return _hot_sorted


_hot_sorted: list[int] = []
_hot_sorted_from: set[int] | None = None


def account_ids_by_code(codes: list[str]) -> dict[str, int]:
    """Account codes → ids, in one query (codes that match nothing are left out)."""
    codes = list(dict.fromkeys(codes))
    if not codes:
        return {}
    if len(codes) <= 2:  # the API's transfer: one prepared statement
        sql = "SELECT code, id FROM ledger_account WHERE code = %s OR code = %s"
        return dict(sql_helpers.fetch(sql, [codes[0], codes[-1]]))
    if _is_postgres():
        with connection.wrap_database_errors:
            cur = sql_helpers.server_cursor()
            cur.execute("SELECT code, id FROM ledger_account WHERE code = ANY(%b::text[])", [codes])
            return dict(cur.fetchall())
    found: dict[str, int] = {}
    with connection.cursor() as cur:
        for start in range(0, len(codes), 900):
            chunk = codes[start : start + 900]
            cur.execute(
                f"SELECT code, id FROM ledger_account WHERE code IN ({_placeholders(len(chunk))})",
                chunk,
            )
            found.update(cur.fetchall())
    return found


def forget_account(account_id: int) -> None:
    """A hot account was opened: reload the set at the next booking."""
    global _hot_loaded_at
    with _meta_lock:
        _hot_loaded_at = 0.0


_cache_clearers: list[Callable[[], None]] = []


def register_cache(clear: Callable[[], None]) -> None:
    """Caches keyed on account ids/codes (immutable in production) register here so that
    tests, which flush the database between cases, can clear them."""
    _cache_clearers.append(clear)


def clear_caches() -> None:
    global _hot_ids, _hot_loaded_at, _hot_sorted_from
    with _meta_lock:
        _hot_ids, _hot_loaded_at, _hot_sorted_from = set(), 0.0, None
    for clear in _cache_clearers:
        clear()


_ACC_COLS = (
    "id, currency, status, debits_must_not_exceed_credits, credits_must_not_exceed_debits, hot, "
    "debit_blocks, credit_blocks, frozen_amount, debits_posted, credits_posted, "
    "debits_pending, credits_pending, code"
)


def lock_accounts(ids: Iterable[int]) -> dict[int, _Acc]:
    """Lock accounts in id order: plain accounts FOR UPDATE, hot ones FOR SHARE."""
    ids = sorted(set(ids))
    if not ids:
        return {}
    hot = _hot_set()
    plain = [i for i in ids if i not in hot]
    hots = [i for i in ids if i in hot]
    out: dict[int, _Acc] = {}
    with connection.cursor() as cur:
        for group, mode in ((plain, "UPDATE"), (hots, "SHARE")):
            if not group:
                continue
            if _is_postgres() and len(group) >= ARRAY_THRESHOLD:
                sql = (
                    f"SELECT {_ACC_COLS} FROM ledger_account WHERE id = ANY(%b::bigint[]) "
                    f"ORDER BY id FOR {mode}"
                )
                with connection.wrap_database_errors:
                    bulk = sql_helpers.server_cursor()
                    bulk.execute(sql, [group], binary=True)
                    rows = bulk.fetchall()
            elif _is_postgres():
                sql = (
                    f"SELECT {_ACC_COLS} FROM ledger_account "
                    f"WHERE id IN ({_placeholders(len(group))}) ORDER BY id FOR {mode}"
                )
                cur.execute(sql, group)
                rows = cur.fetchall()
            else:
                sql = (
                    f"SELECT {_ACC_COLS} FROM ledger_account "
                    f"WHERE id IN ({_placeholders(len(group))}) ORDER BY id"
                )
                cur.execute(sql, group)
                rows = cur.fetchall()
            for r in rows:
                out[r[0]] = _Acc(
                    id=r[0],
                    currency=r[1],
                    status=r[2],
                    dmnec=bool(r[3]),
                    cmned=bool(r[4]),
                    hot=bool(r[5]),
                    debit_blocks=r[6],
                    credit_blocks=r[7],
                    frozen=r[8],
                    dp=r[9],
                    cp=r[10],
                    dpe=r[11],
                    cpe=r[12],
                    code=r[13],
                )
    return out


def _lock_pending(ids: Iterable[int]) -> dict[int, _Pending]:
    ids = sorted(set(ids))
    if not ids:
        return {}
    sql = (
        "SELECT id, debit_account_id, credit_account_id, amount, currency, pending_state, "
        f"timeout_at, public_id FROM ledger_transfer WHERE flag = 'pending' AND id IN "
        f"({_placeholders(len(ids))}) ORDER BY id"
    )
    if _is_postgres():
        sql += " FOR UPDATE"
    with connection.cursor() as cur:
        cur.execute(sql, ids)
        rows = cur.fetchall()
    out = {}
    for r in rows:
        timeout_at = r[6]
        if isinstance(timeout_at, str):  # SQLite raw rows
            timeout_at = dt.datetime.fromisoformat(timeout_at)
        if timeout_at is not None and timeout_at.tzinfo is None:
            timeout_at = timeout_at.replace(tzinfo=dt.UTC)
        out[r[0]] = _Pending(
            r[0], r[1], r[2], r[3], r[4], r[5], timeout_at, public_id=str(uuid.UUID(str(r[7])))
        )
    return out


# -- the in-memory rules -------------------------------------------------------------
def _static_check(spec: TransferSpec) -> E.DomainError | None:
    if spec.flag not in FLAGS:
        return E.InvalidAmount(detail=f"unknown flag {spec.flag!r}")
    if spec.flag in ("post_pending", "void_pending"):
        if spec.pending_id is None:
            return E.PendingNotFound()
        if spec.amount is not None and (
            isinstance(spec.amount, bool) or not isinstance(spec.amount, int) or spec.amount <= 0
        ):
            return E.InvalidAmount()
        return None
    if isinstance(spec.amount, bool) or not isinstance(spec.amount, int) or spec.amount <= 0:
        return E.InvalidAmount()
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


def _check_accounts(
    d: _Acc | None, c: _Acc | None, currency: str, *, debit: bool = True, credit: bool = True
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


def _room_to_debit(a: _Acc, amount: int, *, pending_released: int = 0) -> bool:
    if not a.dmnec:
        return True
    debits = a.dp + a.d_dp + a.dpe + a.d_dpe - pending_released + a.frozen + amount
    return debits <= a.cp + a.d_cp


def _room_to_credit(a: _Acc, amount: int, *, pending_released: int = 0) -> bool:
    if not a.cmned:
        return True
    credits = a.cp + a.d_cp + a.cpe + a.d_cpe - pending_released + amount
    return credits <= a.dp + a.d_dp


def _overflows(a: _Acc, *, debits: int = 0, credits: int = 0) -> bool:
    """Would a counter (or a sum the balance constraints add up) leave the BIGINT range?

    (SQLite would silently turn the counter into a float, PostgreSQL fail the whole call.)
    Hot accounts: only this call's deltas are seen here, their totals live in shards.
    """
    out = a.dp + a.d_dp + a.dpe + a.d_dpe + a.frozen + debits
    into = a.cp + a.d_cp + a.cpe + a.d_cpe + credits
    return out > MAX_AMOUNT or into > MAX_AMOUNT


@dataclass(slots=True)
class _Booking:
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


def _apply(
    spec: TransferSpec,
    index: int,
    accs: dict[int, _Acc],
    pendings: dict[int, _Pending],
    now: dt.datetime,
) -> _Booking | E.DomainError:
    """Apply one transfer to the locked state; return the booking or the refusal."""
    err = _static_check(spec)
    if err is not None:
        return err
    if spec.flag in ("post_pending", "void_pending"):
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
            err = _check_accounts(d, c, p.currency, debit=False, credit=False)
            if err is not None and not isinstance(err, E.AccountClosed):
                return err
            assert d is not None and c is not None
            d.d_dpe -= p.amount
            c.d_cpe -= p.amount
            p.resolved_here = "voided"
            return _Booking(
                index, spec, p.debit, p.credit, p.amount, p.currency, "void_pending", p.id, None
            )
        amount = p.amount if spec.amount is None else spec.amount
        if amount > p.amount:
            return E.PostExceedsPending(pending_amount=p.amount)
        # a freeze placed after the hold stops it being posted (money out of a debit-
        # frozen account, into a credit-frozen one), as an amount freeze already did
        # through the available balance; voiding it (the money stays) is always allowed
        err = _check_accounts(d, c, p.currency)
        if err is not None:
            return err
        assert d is not None and c is not None
        # posting releases the whole hold and posts `amount` (the rest is released)
        if not _room_to_debit(d, amount, pending_released=p.amount):
            return E.ExceedsCredits()
        if not _room_to_credit(c, amount, pending_released=p.amount):
            return E.ExceedsDebits()
        d.d_dpe -= p.amount
        c.d_cpe -= p.amount
        d.d_dp += amount
        c.d_cp += amount
        p.resolved_here = "posted"
        return _Booking(
            index, spec, p.debit, p.credit, amount, p.currency, "post_pending", p.id, None
        )
    assert spec.debit_account_id is not None and spec.credit_account_id is not None
    assert spec.amount is not None
    d, c = accs.get(spec.debit_account_id), accs.get(spec.credit_account_id)
    err = _check_accounts(d, c, spec.currency)
    if err is not None:
        return err
    assert d is not None and c is not None
    if not _room_to_debit(d, spec.amount):
        return E.ExceedsCredits()
    if not _room_to_credit(c, spec.amount):
        return E.ExceedsDebits()
    if _overflows(d, debits=spec.amount) or _overflows(c, credits=spec.amount):
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
    return _Booking(
        index, spec, d.id, c.id, spec.amount, spec.currency, spec.flag, None, timeout_at
    )


def _snapshot(accs: dict[int, _Acc], pendings: dict[int, _Pending]) -> Any:
    return (
        {i: (a.d_dp, a.d_cp, a.d_dpe, a.d_cpe) for i, a in accs.items()},
        {i: p.resolved_here for i, p in pendings.items()},
    )


def _restore(accs: dict[int, _Acc], pendings: dict[int, _Pending], snap: Any) -> None:
    acc_snap, pend_snap = snap
    for i, (a, b, c, d) in acc_snap.items():
        acc = accs[i]
        acc.d_dp, acc.d_cp, acc.d_dpe, acc.d_cpe = a, b, c, d
    for i, r in pend_snap.items():
        pendings[i].resolved_here = r


# -- writes ------------------------------------------------------------------------
_INSERT_COLS = (
    "public_id, idempotency_key, debit_account_id, credit_account_id, amount, currency, flag, "
    "pending_id, pending_state, timeout_at, kind, business_date, group_id, metadata, "
    "requested_by, request_digest, created_at"
)
_CHUNK = 400


def _uuid_param(u: Any) -> Any:
    return u if _is_postgres() else u.hex


def _insert_transfers(
    bookings: list[_Booking], *, requested_by: int | None, business_date: dt.date, now: dt.datetime
) -> dict[Any, int]:
    """Multi-row INSERTs; returns public_id → id."""
    if _is_postgres() and len(bookings) >= ARRAY_THRESHOLD:
        return _insert_transfers_pg(
            bookings, requested_by=requested_by, business_date=business_date, now=now
        )
    ids: dict[Any, int] = {}
    ops = connection.ops
    with connection.cursor() as cur:
        for start in range(0, len(bookings), _CHUNK):
            chunk = bookings[start : start + _CHUNK]
            params: list[Any] = []
            for b in chunk:
                b.public_id = uuid7()
                params += [
                    _uuid_param(b.public_id),
                    b.spec.idempotency_key,
                    b.debit,
                    b.credit,
                    b.amount,
                    b.currency,
                    b.flag,
                    b.pending_id,
                    "pending" if b.flag == "pending" else "",
                    ops.adapt_datetimefield_value(b.timeout_at) if b.timeout_at else None,
                    b.spec.kind[:32],
                    ops.adapt_datefield_value(business_date),
                    b.spec.group_id[:64],
                    json.dumps(b.spec.metadata, sort_keys=True),
                    requested_by,
                    b.spec.digest() if b.spec.idempotency_key else "",
                    ops.adapt_datetimefield_value(now),
                ]
            row = "(" + _placeholders(17) + ")"
            cur.execute(
                f"INSERT INTO ledger_transfer ({_INSERT_COLS}) VALUES "
                + ", ".join([row] * len(chunk))
                + " RETURNING id, public_id",
                params,
            )
            for tid, pid in cur.fetchall():
                ids[pid if isinstance(pid, uuid.UUID) else uuid.UUID(pid)] = tid
    return ids


_PG_TYPES = (
    "uuid", "text", "bigint", "bigint", "bigint", "text", "text", "bigint", "text",
    "timestamptz", "text", "date", "text", "jsonb", "bigint", "text", "timestamptz",
)  # fmt: skip


def _insert_transfers_pg(
    bookings: list[_Booking], *, requested_by: int | None, business_date: dt.date, now: dt.datetime
) -> dict[Any, int]:
    """PostgreSQL: the whole batch in ONE statement.  A column whose value is the same
    for every row is one scalar parameter; the others are binary arrays (unnest)."""
    cols: list[list[Any]] = [[] for _ in range(17)]
    (c_pid, c_key, c_debit, c_credit, c_amount, c_cur, c_flag, c_pending, c_pstate, c_timeout,
     c_kind, c_bdate, c_group, c_meta, c_by, c_digest, c_created) = cols  # fmt: skip
    for b in bookings:
        b.public_id = uuid7()
        spec = b.spec
        c_pid.append(b.public_id)
        c_key.append(spec.idempotency_key)
        c_debit.append(b.debit)
        c_credit.append(b.credit)
        c_amount.append(b.amount)
        c_cur.append(b.currency)
        c_flag.append(b.flag)
        c_pending.append(b.pending_id)
        c_pstate.append("pending" if b.flag == "pending" else "")
        c_timeout.append(b.timeout_at)
        c_kind.append(spec.kind[:32])
        c_group.append(spec.group_id[:64])
        c_meta.append(json.dumps(spec.metadata, sort_keys=True) if spec.metadata else "{}")
        c_digest.append(spec.digest() if spec.idempotency_key else "")
    n = len(bookings)
    c_bdate[:] = [business_date] * n
    c_by[:] = [requested_by] * n
    c_created[:] = [now] * n
    select: list[str] = []
    unnest: list[str] = []
    names: list[str] = []
    scalar_params: list[Any] = []
    array_params: list[Any] = []
    for i, (values, pg_type) in enumerate(zip(cols, _PG_TYPES, strict=True)):
        first = values[0]
        if all(v == first for v in values):
            select.append(f"%s::{pg_type}")
            scalar_params.append(first)
        else:
            select.append(f"u.c{i}")
            unnest.append(f"%b::{'text' if pg_type == 'jsonb' else pg_type}[]")
            names.append(f"c{i}")
            array_params.append(values)
    select = [f"{e}::jsonb" if e.startswith("u.c13") else e for e in select]
    sql = (
        f"INSERT INTO ledger_transfer ({_INSERT_COLS}) SELECT {', '.join(select)} "
        f"FROM unnest({', '.join(unnest)}) AS u({', '.join(names)}) RETURNING id, public_id"
    )
    with connection.wrap_database_errors:
        cur = sql_helpers.server_cursor()
        cur.execute(sql, [*scalar_params, *array_params])
        return {pid: tid for tid, pid in cur.fetchall()}


def _update_accounts(accs: dict[int, _Acc]) -> None:
    touched = [a for a in accs.values() if not a.hot and (a.d_dp or a.d_cp or a.d_dpe or a.d_cpe)]
    if touched and _is_postgres() and len(touched) >= ARRAY_THRESHOLD:
        with connection.wrap_database_errors:
            sql_helpers.server_cursor().execute(
                "UPDATE ledger_account SET debits_posted = ledger_account.debits_posted + v.dp, "
                "credits_posted = ledger_account.credits_posted + v.cp, "
                "debits_pending = ledger_account.debits_pending + v.dpe, "
                "credits_pending = ledger_account.credits_pending + v.cpe "
                "FROM unnest(%b::bigint[], %b::bigint[], %b::bigint[], %b::bigint[], "
                "%b::bigint[]) AS v(id, dp, cp, dpe, cpe) WHERE ledger_account.id = v.id",
                [
                    [a.id for a in touched],
                    [a.d_dp for a in touched],
                    [a.d_cp for a in touched],
                    [a.d_dpe for a in touched],
                    [a.d_cpe for a in touched],
                ],
            )
    elif touched:
        values = ", ".join(
            [
                "(CAST(%s AS BIGINT), CAST(%s AS BIGINT), CAST(%s AS BIGINT), "
                "CAST(%s AS BIGINT), CAST(%s AS BIGINT))"
            ]
            * len(touched)
        )
        params: list[int] = []
        for a in touched:
            params += [a.id, a.d_dp, a.d_cp, a.d_dpe, a.d_cpe]
        with connection.cursor() as cur:
            cur.execute(
                f"WITH v(id, dp, cp, dpe, cpe) AS (VALUES {values}) "
                "UPDATE ledger_account SET debits_posted = ledger_account.debits_posted + v.dp, "
                "credits_posted = ledger_account.credits_posted + v.cp, "
                "debits_pending = ledger_account.debits_pending + v.dpe, "
                "credits_pending = ledger_account.credits_pending + v.cpe "
                "FROM v WHERE ledger_account.id = v.id",
                params,
            )
    for a in accs.values():
        if a.hot and (a.d_dp or a.d_cp or a.d_dpe or a.d_cpe):
            with connection.cursor() as cur:
                cur.execute(
                    "UPDATE ledger_account_shard SET debits_posted = debits_posted + %s, "
                    "credits_posted = credits_posted + %s, debits_pending = debits_pending + %s, "
                    "credits_pending = credits_pending + %s WHERE account_id = %s AND slot = %s",
                    [a.d_dp, a.d_cp, a.d_dpe, a.d_cpe, a.id, random.randrange(HOT_SLOTS)],
                )


def _resolve_pendings(pendings: dict[int, _Pending]) -> None:
    done = [(p.id, p.resolved_here) for p in pendings.values() if p.resolved_here]
    for state in ("posted", "voided"):
        ids = [i for i, s in done if s == state]
        if ids:
            with connection.cursor() as cur:
                cur.execute(
                    f"UPDATE ledger_transfer SET pending_state = %s WHERE id IN "
                    f"({_placeholders(len(ids))}) AND pending_state = 'pending'",
                    [state, *ids],
                )
                if cur.rowcount != len(ids):
                    raise DatabaseError("pending transfer resolved concurrently")


def _record_refusals(
    refusals: list[tuple[TransferSpec, E.DomainError]],
    *,
    requested_by: int | None,
    now: dt.datetime,
) -> None:
    if not refusals:
        return
    ops = connection.ops
    row = "(" + _placeholders(9) + ")"
    params: list[Any] = []
    for spec, err in refusals:
        params += [
            spec.idempotency_key,
            json.dumps(spec_dict(spec), sort_keys=True),
            err.code,
            str(err.detail or err.title)[:300],
            spec.debit_account_id,
            spec.credit_account_id,
            requested_by,
            spec.digest(),
            ops.adapt_datetimefield_value(now),
        ]
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO ledger_refused_transfer (idempotency_key, request, code, detail, "
            "debit_account_id, credit_account_id, requested_by, request_digest, created_at) "
            f"VALUES {', '.join([row] * len(refusals))} ON CONFLICT DO NOTHING",
            params,
        )


def spec_dict(spec: TransferSpec) -> dict[str, Any]:
    return {
        "debit_account_id": spec.debit_account_id,
        "credit_account_id": spec.credit_account_id,
        "amount": spec.amount,
        "currency": spec.currency,
        "flag": spec.flag,
        "pending_id": spec.pending_id,
        "timeout_seconds": spec.timeout_seconds,
        "kind": spec.kind,
        "idempotency_key": spec.idempotency_key,
        "metadata": spec.metadata,
        "group_id": spec.group_id,
    }


def _result(
    b: _Booking,
    tid: int,
    accs: dict[int, _Acc],
    pendings: dict[int, _Pending],
    business_date: dt.date,
    now: dt.datetime,
) -> dict[str, Any]:
    return _transfer_out(
        b.spec, public_id=b.public_id, tid=tid, debit_code=accs[b.debit].code,
        credit_code=accs[b.credit].code, amount=b.amount, currency=b.currency, flag=b.flag,
        pending_public_id=pendings[b.pending_id].public_id if b.pending_id else None,
        timeout_at=b.timeout_at, business_date=business_date, now=now,
    )  # fmt: skip


def _transfer_out(
    spec: TransferSpec,
    *,
    public_id: Any,
    tid: int,
    debit_code: str,
    credit_code: str,
    amount: int,
    currency: str,
    flag: str,
    pending_public_id: Any,
    timeout_at: dt.datetime | None,
    business_date: dt.date,
    now: dt.datetime,
) -> dict[str, Any]:
    """A booked transfer as ``services.transfer_dict`` presents it, without re-reading it
    (times in UTC, as the database gives them back: a replay answers the same)."""
    return {
        "id": str(public_id),
        "internal_id": tid,
        "idempotency_key": spec.idempotency_key,
        "debit_account": debit_code,
        "credit_account": credit_code,
        "amount": amount,
        "currency": currency,
        "flag": flag,
        "pending_state": "pending" if flag == "pending" else "",
        "pending_id": str(pending_public_id) if pending_public_id else None,
        "timeout_at": timeout_at.astimezone(dt.UTC) if timeout_at is not None else None,
        "kind": spec.kind[:32],
        "business_date": business_date,
        "group_id": spec.group_id[:64],
        "metadata": spec.metadata,
        "created_at": now.astimezone(dt.UTC),
    }


# -- idempotency -------------------------------------------------------------------
def _existing_by_key(keys: list[str]) -> tuple[dict[str, tuple[int, str]], dict[str, Any]]:
    """Booked transfers and refusals already recorded under these keys."""
    booked: dict[str, tuple[int, str]] = {}
    refused: dict[str, Any] = {}
    if not keys:
        return booked, refused
    with connection.cursor() as cur:
        for start in range(0, len(keys), 900):
            chunk = keys[start : start + 900]
            ph = _placeholders(len(chunk))
            cur.execute(
                f"SELECT idempotency_key, id, request_digest FROM ledger_transfer "
                f"WHERE idempotency_key IN ({ph})",
                chunk,
            )
            for k, tid, digest in cur.fetchall():
                booked[k] = (tid, digest)
            cur.execute(
                "SELECT idempotency_key, code, detail, request_digest FROM ledger_refused_transfer "
                f"WHERE idempotency_key IN ({ph})",
                chunk,
            )
            for k, code, detail, digest in cur.fetchall():
                refused[k] = (code, detail, digest)
    return booked, refused


def _recorded_answer(
    i: int, s: TransferSpec, booked: dict[str, tuple[int, str]], refused: dict[str, Any]
) -> Outcome | None:
    """The stored answer for an item whose key is already booked or refused, if any."""
    k = s.idempotency_key
    if not k or (k not in booked and k not in refused):
        return None
    if k in booked:
        tid, digest = booked[k]
        if digest == s.digest():
            return Outcome(i, True, transfer={"id": tid}, replayed=True)
    else:
        code, detail, digest = refused[k]
        if digest == s.digest():
            return Outcome(i, False, code=code, detail=detail, replayed=True)
    return Outcome(
        i, False, code=E.IdempotencyConflict.code, detail=str(E.IdempotencyConflict.title)
    )


# -- the call ------------------------------------------------------------------------
def book(
    specs: Sequence[TransferSpec],
    *,
    requested_by: int | None,
    business_date: dt.date,
    now: dt.datetime,
    load: Callable[[list[int]], dict[int, dict[str, Any]]],
) -> list[Outcome]:
    """Book ``specs`` in one transaction (retried on deadlock/serialisation/key races).

    ``load(ids)`` returns the public representation of booked transfers (for results).
    """
    if len(specs) > MAX_BATCH:
        raise E.BatchTooLarge(size=len(specs))
    # Inside the caller's transaction a retry would keep the caller's locks while waiting
    # again for the same lock (a deadlock against them repeats each time): the error goes
    # to the caller, whose transaction is the unit to retry.
    attempts = 1 if connections[DEFAULT_DB_ALIAS].in_atomic_block else MAX_RETRIES
    if len(specs) == 1 and _is_postgres():
        fast = _with_retries(
            lambda: _book_one_pg(
                specs[0], requested_by=requested_by, business_date=business_date, now=now
            ),
            attempts,
        )
        if fast is not None:
            return [fast]
    specs = _resolve_codes(specs)
    return _with_retries(
        lambda: _book_once(
            specs, requested_by=requested_by, business_date=business_date, now=now, load=load
        ),
        attempts,
    )


def book_one_express(
    spec: TransferSpec, *, requested_by: int | None, business_date: dt.date, now: dt.datetime
) -> Outcome | None:
    """The one-round-trip booking alone: the booked transfer, or None — not PostgreSQL,
    or an answer only the general path gives (a refusal, a replay, a group, ...) — in
    which case nothing was changed or recorded, and the caller must go through
    :func:`book`, which answers (the API's express lane, :mod:`custodesk.ledger.express`).
    """
    if not _is_postgres():
        return None
    return _with_retries(
        lambda: _book_one_pg(spec, requested_by=requested_by, business_date=business_date, now=now)
    )


# -- PostgreSQL fast path: one transfer, one round trip ---------------------------------
_BOOK_ONE_SQL = (
    "SELECT * FROM ledger_book_one(%s::uuid, %s::text, %s::bigint, %s::bigint, %s::bigint, "
    "%s::text, %s::text, %s::bigint, %s::integer, %s::text, %s::date, %s::text, %s::jsonb, "
    "%s::bigint, %s::text, %s::timestamptz, %s::smallint, %s::bigint[], %s::text, %s::text)"
)


def _book_one_pg(
    spec: TransferSpec, *, requested_by: int | None, business_date: dt.date, now: dt.datetime
) -> Outcome | None:
    """Book one transfer with the ``ledger_book_one`` function (migration 0002).

    Returns None when the general path must answer instead: a group member, a static
    refusal, a key already recorded (a replay or a conflict), or any refusal — the
    function changes nothing in those cases, and the general path records refusals.
    The statement is prepared once per connection and bound server-side (no query
    text composed per call); outside a transaction it is its own transaction, one
    round trip in all.
    """
    by_code = (
        spec.flag in ("posted", "pending")
        and spec.debit_account_id is None
        and spec.credit_account_id is None
    )
    if by_code and (not (spec.debit_code and spec.credit_code) or spec.idempotency_key):
        return None  # the digest a key is checked by is over ids: resolve them first
    if spec.group_id or _static_check(_with_placeholder_ids(spec) if by_code else spec):
        return None
    if (spec.amount or 0) > MAX_AMOUNT or (spec.timeout_seconds or 0) > 2**31 - 1:
        return None  # the general path answers what no column (or interval) can hold
    public_id = uuid7()
    kind = spec.kind[:32]
    metadata = json.dumps(spec.metadata, sort_keys=True) if spec.metadata else "{}"
    params = (
        public_id, spec.idempotency_key, spec.debit_account_id, spec.credit_account_id,
        spec.amount, spec.currency, spec.flag, spec.pending_id, spec.timeout_seconds, kind,
        business_date, "", metadata, requested_by,
        spec.digest() if spec.idempotency_key else "", now,
        random.randrange(HOT_SLOTS), _hot_list(),
        spec.debit_code if by_code else None, spec.credit_code if by_code else None,
    )  # fmt: skip
    conn = connections[DEFAULT_DB_ALIAS]
    with conn.wrap_database_errors:
        if conn.in_atomic_block:
            # inside the caller's transaction: a savepoint, so a retried race leaves it usable
            with transaction.atomic():
                row = _execute_prepared(params)
        else:
            row = _execute_prepared(params)
    status, tid, debit_code, credit_code, amount, currency, pending_public_id, timeout_at = row
    if status != "ok":
        return None
    transfer = _transfer_out(
        spec, public_id=public_id, tid=tid, debit_code=debit_code, credit_code=credit_code,
        amount=amount, currency=currency, flag=spec.flag, pending_public_id=pending_public_id,
        timeout_at=timeout_at, business_date=business_date, now=now,
    )  # fmt: skip
    return Outcome(0, True, transfer=transfer)


def _with_placeholder_ids(spec: TransferSpec) -> TransferSpec:
    """The spec as the static checks see it when the accounts are still codes."""
    same = spec.debit_code == spec.credit_code
    return dataclasses.replace(spec, debit_account_id=-1, credit_account_id=-1 if same else -2)


def _resolve_codes(specs: Sequence[TransferSpec]) -> Sequence[TransferSpec]:
    """Account codes → ids for the general path (one query for the call); an unknown
    code is ``AccountNotFound`` naming it, before anything is booked."""
    codes = [
        c
        for s in specs
        if s.debit_account_id is None and s.credit_account_id is None
        for c in (s.debit_code, s.credit_code)
        if c
    ]
    if not codes:
        return specs
    ids = account_ids_by_code(codes)
    for code in codes:
        if code not in ids:
            raise E.AccountNotFound(account=code)
    return [
        dataclasses.replace(
            s,
            debit_account_id=ids[s.debit_code] if s.debit_code else None,
            credit_account_id=ids[s.credit_code] if s.credit_code else None,
        )
        if s.debit_account_id is None and s.credit_account_id is None and s.debit_code
        else s
        for s in specs
    ]


def _execute_prepared(params: tuple[Any, ...]) -> tuple[Any, ...]:
    """The prepared call (PostgreSQL keeps its plan; nothing is composed per call)."""
    cur = sql_helpers.server_cursor()
    cur.execute(_BOOK_ONE_SQL, params, prepare=True)
    row = cur.fetchone()
    assert row is not None
    return tuple(row)


def _with_retries(fn: Callable[[], T], attempts: int = MAX_RETRIES) -> T:
    for attempt in range(attempts):
        try:
            return fn()
        except (OperationalError, IntegrityError) as exc:
            if not _retryable(exc) or attempt == attempts - 1:
                raise
            time.sleep(random.uniform(0, 0.002 * (2**attempt)))
    raise AssertionError("unreachable")


def _retryable(exc: Exception) -> bool:
    cause = getattr(exc, "__cause__", None)
    sqlstate = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    if sqlstate in {"40001", "40P01", "55P03"}:
        return True
    text = str(exc).lower()
    if isinstance(exc, IntegrityError):
        # a concurrent request booked (or refused) the same idempotency key first
        return "idempotency_key" in text or (sqlstate == "23505" and "idempotency" in text)
    return "database is locked" in text or "deadlock" in text


@transaction.atomic(durable=False)
def _book_once(
    specs: Sequence[TransferSpec],
    *,
    requested_by: int | None,
    business_date: dt.date,
    now: dt.datetime,
    load: Callable[[list[int]], dict[int, dict[str, Any]]],
) -> list[Outcome]:
    outcomes: list[Outcome | None] = [None] * len(specs)
    keys = [s.idempotency_key for s in specs if s.idempotency_key]
    booked, refused = _existing_by_key(keys)
    seen_in_call: dict[str, int] = {}
    live: list[int] = []
    for i, s in enumerate(specs):
        k = s.idempotency_key
        recorded = _recorded_answer(i, s, booked, refused)
        if recorded is not None:
            outcomes[i] = recorded
        elif k and k in seen_in_call:
            outcomes[i] = Outcome(i, False, code="duplicate_in_batch", detail=str(seen_in_call[k]))
        else:
            if k:
                seen_in_call[k] = i
            live.append(i)

    pending_ids = [specs[i].pending_id for i in live if specs[i].pending_id is not None]
    pendings = _lock_pending([p for p in pending_ids if p is not None])
    account_ids: set[int] = set()
    for i in live:
        s = specs[i]
        if s.flag in ("post_pending", "void_pending"):
            p = pendings.get(s.pending_id or -1)
            if p is not None:
                account_ids.update((p.debit, p.credit))
        else:
            account_ids.update(x for x in (s.debit_account_id, s.credit_account_id) if x)
    accs = lock_accounts(account_ids)
    # Look again now that the accounts are locked: another copy of the same request may
    # have booked or refused the key since the lookup above.  It held these same locks
    # until it committed, so it is visible now (a refusal leaves no row the unique index
    # could catch, so without this a key once refused could be booked after all).
    late_keys = [k for i in live if (k := specs[i].idempotency_key)]
    if late_keys:
        booked, refused = _existing_by_key(late_keys)
        if booked or refused:
            still_live = []
            for i in live:
                recorded = _recorded_answer(i, specs[i], booked, refused)
                if recorded is None:
                    still_live.append(i)
                else:
                    outcomes[i] = recorded
            live = still_live

    bookings: list[_Booking] = []
    refusals: list[tuple[TransferSpec, E.DomainError]] = []
    # atomic groups apply as a unit at the position of their first item
    groups: dict[str, list[int]] = {}
    for i in live:
        if specs[i].group_id:
            groups.setdefault(specs[i].group_id, []).append(i)
    done_groups: set[str] = set()
    for i in live:
        s = specs[i]
        if s.group_id:
            if s.group_id in done_groups:
                continue
            done_groups.add(s.group_id)
            members = groups[s.group_id]
            snap = _snapshot(accs, pendings)
            results = [(j, _apply(specs[j], j, accs, pendings, now)) for j in members]
            failed = [(j, r) for j, r in results if not isinstance(r, _Booking)]
            if failed:
                _restore(accs, pendings, snap)
                first_j, _first_err = failed[0]
                for j, r in results:
                    err = r if not isinstance(r, _Booking) else E.GroupFailed(failed_index=first_j)
                    assert isinstance(err, E.DomainError)
                    outcomes[j] = Outcome(
                        j, False, code=err.code, detail=str(err.detail or err.title)
                    )
                    refusals.append((specs[j], err))
            else:
                bookings.extend(r for _, r in results if isinstance(r, _Booking))
            continue
        r = _apply(s, i, accs, pendings, now)
        if isinstance(r, _Booking):
            bookings.append(r)
        else:
            outcomes[i] = Outcome(i, False, code=r.code, detail=str(r.detail or r.title))
            refusals.append((s, r))

    if bookings:
        ids = _insert_transfers(
            bookings, requested_by=requested_by, business_date=business_date, now=now
        )
        _update_accounts(accs)
        _resolve_pendings(pendings)
        for b in bookings:
            outcomes[b.index] = Outcome(
                b.index,
                True,
                transfer=_result(b, ids[b.public_id], accs, pendings, business_date, now),
            )
    _record_refusals(refusals, requested_by=requested_by, now=now)

    # only replays need a read: what was booked now is described from what is in hand
    want = [o.transfer["id"] for o in outcomes if o is not None and o.replayed and o.transfer]
    loaded = load(want) if want else {}
    final: list[Outcome] = []
    for o in outcomes:
        assert o is not None
        if o.replayed and o.transfer:
            o.transfer = loaded.get(o.transfer["id"], o.transfer)
        final.append(o)
    return final
