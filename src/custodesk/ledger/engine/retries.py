"""A booking call retried when the database says a concurrent one got in its way.

Decided by what the database reports, never by the text of its message:

* PostgreSQL, by SQLSTATE: ``40001`` serialization_failure, ``40P01``
  deadlock_detected, ``55P03`` lock_not_available; and ``23505`` unique_violation on
  the transfer idempotency key's unique index (a concurrent copy of the request booked
  the key first: the retry replays it) — by the constraint's name, from the error's
  diagnostics.
* SQLite, by result code: ``SQLITE_BUSY`` / ``SQLITE_LOCKED`` (any extended code).  Its
  writers are serialised from ``BEGIN IMMEDIATE``, so a key race cannot happen there.

Bounded (``MAX_RETRIES``), with exponential backoff and full jitter — and only when the
call is its own transaction: inside a caller's, a retry would keep the caller's locks
while waiting again for the same lock (a deadlock against them repeats each time), so
the error goes to the caller, whose transaction is the unit to retry
(:func:`attempts_here`).
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import DEFAULT_DB_ALIAS, IntegrityError, OperationalError, connections

from ..models import LedgerTransfer

T = TypeVar("T")

MAX_RETRIES = 8
RETRY_SQLSTATES = frozenset({"40001", "40P01", "55P03"})
UNIQUE_VIOLATION = "23505"
SQLITE_BUSY_CODES = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})
# unique indexes a concurrent copy of the same request can hit first
KEY_CONSTRAINTS = frozenset(
    c.name
    for c in LedgerTransfer._meta.constraints
    if getattr(c, "fields", None) == ("idempotency_key",)
)


def with_retries(fn: Callable[[], T], attempts: int = MAX_RETRIES) -> T:
    """``fn()``, run again (after a short random wait) while it fails retryably, at most
    ``attempts`` times in all."""
    for attempt in range(attempts):
        try:
            return fn()
        except (OperationalError, IntegrityError) as exc:
            if not is_retryable(exc) or attempt == attempts - 1:
                raise
            time.sleep(random.uniform(0, 0.002 * (2**attempt)))
    raise AssertionError("unreachable")


def attempts_here() -> int:
    """How many attempts a booking call may make: one inside a caller's transaction."""
    return 1 if connections[DEFAULT_DB_ALIAS].in_atomic_block else MAX_RETRIES


def is_retryable(exc: Exception) -> bool:
    """Whether the database error ``exc`` (Django's, the driver's as its cause) means a
    concurrent transaction got in the way, so the same call may well succeed now."""
    cause = exc.__cause__ if exc.__cause__ is not None else exc
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate is not None:  # psycopg
        if sqlstate in RETRY_SQLSTATES:
            return True
        if sqlstate == UNIQUE_VIOLATION:
            diag = getattr(cause, "diag", None)
            return getattr(diag, "constraint_name", None) in KEY_CONSTRAINTS
        return False
    code = getattr(cause, "sqlite_errorcode", None)
    if code is not None:  # sqlite3: the primary result code is the low byte
        return isinstance(cause, sqlite3.OperationalError) and code & 0xFF in SQLITE_BUSY_CODES
    return False
