"""The booking engine: the one way into the ledger's tables for transfers.

One call books a list of transfers in **one database transaction** and answers each
item (:class:`Outcome`): booked, refused (and recorded as a refused attempt), or the
recorded answer of an earlier request with the same idempotency key.

What is where:

- :mod:`.spec` — what is asked (:class:`TransferSpec`) and answered, the limits;
- :mod:`.rules` — the booking rules, pure: checks, balances, holds, groups, replays;
- :mod:`.general` — the general path: look up keys, lock, apply the rules, write;
- :mod:`.fast_path` — PostgreSQL: one transfer in one round trip (``ledger_book_one``);
- :mod:`.sql` — the statements per backend (generic, PostgreSQL, SQLite);
- :mod:`.retries` — retried when the database reports a concurrent transaction;
- :mod:`.codes`, :mod:`.caches`, :mod:`.results` — accounts by code, process caches,
  a booked transfer described without re-reading it.

SQLite has no row locks: its IMMEDIATE transactions serialise writers instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from .. import errors as E
from . import fast_path, general, retries, sql
from .caches import clear_caches, forget_account, register_cache
from .codes import account_ids_by_code, resolve_codes
from .spec import MAX_AMOUNT, MAX_BATCH, Outcome, TransferSpec, spec_dict


def book(
    specs: Sequence[TransferSpec],
    *,
    requested_by: int | None,
    business_date: dt.date,
    now: dt.datetime,
    load: Callable[[list[int]], dict[int, dict[str, Any]]],
) -> list[Outcome]:
    """Book ``specs`` in one transaction (retried on deadlock/serialisation/key races
    when the call is its own transaction; inside the caller's, a savepoint of it).

    ``load(ids)`` returns the public representation of booked transfers (for replays).
    """
    if len(specs) > MAX_BATCH:
        raise E.BatchTooLarge(size=len(specs))
    attempts = retries.attempts_here()  # one inside a caller's transaction
    if len(specs) == 1 and sql.is_postgres():
        fast = retries.with_retries(
            lambda: fast_path.book_one(
                specs[0], requested_by=requested_by, business_date=business_date, now=now
            ),
            attempts,
        )
        if fast is not None:
            return [fast]
    specs = resolve_codes(specs)
    return retries.with_retries(
        lambda: general.book_once(
            specs, requested_by=requested_by, business_date=business_date, now=now, load=load
        ),
        attempts,
    )


__all__ = [
    "MAX_AMOUNT",
    "MAX_BATCH",
    "Outcome",
    "TransferSpec",
    "account_ids_by_code",
    "book",
    "clear_caches",
    "forget_account",
    "register_cache",
    "spec_dict",
]
