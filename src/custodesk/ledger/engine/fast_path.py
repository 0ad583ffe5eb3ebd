"""PostgreSQL: one transfer booked in one round trip, by ``ledger_book_one``.

The PL/pgSQL function (``ledger/sql/ledger_book_one.sql``, installed whole by a
migration: docs/architecture.md says how to change it) takes the same locks in
the same order as the general path, applies the same rules and books.  It only ever
answers "booked": for anything else (a refusal, a key already recorded, a group member,
an amount no column holds) it changes nothing and :func:`book_one` returns None, and the
general path answers (and records the refusal).  So the rules live in
:mod:`.rules`; the function may be stricter, never looser
(``tests/services/test_fast_path.py`` compares the two over a universe of requests).
"""

from __future__ import annotations

import datetime as dt
import json
import random
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction

from custodesk.core import sql as sql_helpers
from custodesk.core.ids import uuid7

from ..models import HOT_SLOTS
from . import caches
from .codes import by_code, with_placeholder_ids
from .results import transfer_out
from .rules import static_check
from .spec import MAX_AMOUNT, Outcome, TransferSpec

BOOK_ONE_SQL = (
    "SELECT * FROM ledger_book_one(%s::uuid, %s::text, %s::bigint, %s::bigint, %s::bigint, "
    "%s::text, %s::text, %s::bigint, %s::integer, %s::text, %s::date, %s::text, %s::jsonb, "
    "%s::bigint, %s::text, %s::timestamptz, %s::smallint, %s::bigint[], %s::text, %s::text)"
)
MAX_INTERVAL_SECONDS = 2**31 - 1  # the function's timeout parameter is an integer


def book_one(
    spec: TransferSpec, *, requested_by: int | None, business_date: dt.date, now: dt.datetime
) -> Outcome | None:
    """Book one transfer with ``ledger_book_one``, or None when the general path must
    answer instead: a group member, a static refusal, a key already recorded (a replay or
    a conflict), or any refusal — the function changes nothing in those cases, and the
    general path records refusals.

    The statement is prepared once per connection and bound server-side (no query
    text composed per call); outside a transaction it is its own transaction, one
    round trip in all.
    """
    if not _may_book(spec):
        return None
    public_id = uuid7()
    codes = _by_code(spec)
    params = (
        public_id, spec.idempotency_key, spec.debit_account_id, spec.credit_account_id,
        spec.amount, spec.currency, spec.flag, spec.pending_id, spec.timeout_seconds,
        spec.kind[:32], business_date, "",
        json.dumps(spec.metadata, sort_keys=True) if spec.metadata else "{}", requested_by,
        spec.digest() if spec.idempotency_key else "", now,
        random.randrange(HOT_SLOTS), caches.hot_list(),
        spec.debit_code if codes else None, spec.credit_code if codes else None,
    )  # fmt: skip
    status, tid, debit_code, credit_code, amount, currency, pending_public_id, timeout_at = _call(
        params
    )
    if status != "ok":
        return None
    transfer = transfer_out(
        spec, public_id=public_id, tid=tid, debit_code=debit_code, credit_code=credit_code,
        amount=amount, currency=currency, flag=spec.flag, pending_public_id=pending_public_id,
        timeout_at=timeout_at, business_date=business_date, now=now,
    )  # fmt: skip
    return Outcome(0, True, transfer=transfer)


def _may_book(spec: TransferSpec) -> bool:
    """What the function can be asked at all (it refuses the rest itself)."""
    codes = _by_code(spec)
    if codes and (not (spec.debit_code and spec.credit_code) or spec.idempotency_key):
        return False  # the digest a key is checked by is over ids: resolve them first
    if spec.group_id or static_check(with_placeholder_ids(spec) if codes else spec):
        return False
    # the general path answers what no column (or interval) can hold
    return (spec.amount or 0) <= MAX_AMOUNT and (spec.timeout_seconds or 0) <= MAX_INTERVAL_SECONDS


def _by_code(spec: TransferSpec) -> bool:
    """A new transfer whose accounts the function is to find by code."""
    return spec.flag in ("posted", "pending") and by_code(spec)


def _call(params: tuple[Any, ...]) -> tuple[Any, ...]:
    conn = connections[DEFAULT_DB_ALIAS]
    with conn.wrap_database_errors:
        if conn.in_atomic_block:
            # inside the caller's transaction: a savepoint, so a retried race leaves it usable
            with transaction.atomic():
                return _execute_prepared(params)
        return _execute_prepared(params)


def _execute_prepared(params: tuple[Any, ...]) -> tuple[Any, ...]:
    """The prepared call (PostgreSQL keeps its plan; nothing is composed per call)."""
    cur = sql_helpers.server_cursor()
    cur.execute(BOOK_ONE_SQL, params, prepare=True)
    row = cur.fetchone()
    assert row is not None
    return tuple(row)
