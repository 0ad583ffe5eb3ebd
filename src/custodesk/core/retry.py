"""Run a whole transaction again when the database reports a concurrent one.

PostgreSQL aborts one of two transactions that deadlock (SQLSTATE ``40P01``) or that
cannot be serialised (``40001``); nothing of the aborted one has committed, so a use
case that is one durable transaction can simply run again.  Only for such a use case:
never inside a caller's transaction (the caller holds its locks while waiting again).
The ledger's own bookings have their own loop (``custodesk.ledger.engine.retries``).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import OperationalError, connection

T = TypeVar("T")
logger = logging.getLogger("custodesk.db")

RETRY_SQLSTATES = frozenset({"40001", "40P01"})
ATTEMPTS = 5


def sqlstate(exc: BaseException) -> str | None:
    return getattr(exc.__cause__, "sqlstate", None)


def on_conflict(fn: Callable[[], T], *, attempts: int = ATTEMPTS, what: str = "") -> T:
    """``fn()`` (a durable transaction), run again after a deadlock or serialisation
    failure, at most ``attempts`` times in all, with a short jittered pause."""
    if connection.in_atomic_block:  # a test's transaction: fn's durable block says if wrong
        return fn()
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except OperationalError as exc:
            state = sqlstate(exc)
            if state not in RETRY_SQLSTATES or attempt == attempts:
                raise
            logger.info("%s: run again after SQLSTATE %s (attempt %d)", what, state, attempt)
            time.sleep(random.uniform(0.002, 0.01) * attempt)
    raise AssertionError("unreachable")
