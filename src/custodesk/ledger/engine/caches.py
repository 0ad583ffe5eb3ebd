"""Process-local caches of facts about accounts that never change once written.

Accounts are never deleted and an account's id, code and hot flag never change, so a
worker process keeps what it looked up.  Tests flush the database between cases (ids
and codes are then reused): :func:`clear_caches` empties every cache registered here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from . import sql

HOT_CACHE_SECONDS = 30.0

_lock = threading.Lock()
_hot_ids: set[int] = set()
_hot_loaded_at = 0.0
_hot_sorted: list[int] = []
_hot_sorted_from: set[int] | None = None
_cache_clearers: list[Callable[[], None]] = []


def hot_set() -> set[int]:
    """Ids of hot accounts (few: markets' summary accounts), reloaded every 30 s.

    A stale set only changes the lock mode chosen for a newly opened hot account
    (FOR UPDATE instead of FOR SHARE); where its counters go is decided by the
    row's own ``hot`` column, read under the lock, so balances stay right.
    """
    global _hot_ids, _hot_loaded_at
    if time.monotonic() - _hot_loaded_at > HOT_CACHE_SECONDS:
        ids = sql.backend().hot_account_ids()
        with _lock:
            _hot_ids, _hot_loaded_at = ids, time.monotonic()
    return _hot_ids


def hot_list() -> list[int]:
    """The hot set as a sorted list (an array parameter), rebuilt only when it changes."""
    global _hot_sorted, _hot_sorted_from
    hot = hot_set()
    if hot is not _hot_sorted_from:
        _hot_sorted, _hot_sorted_from = sorted(hot), hot
    return _hot_sorted


def forget_account(account_id: int) -> None:
    """A hot account was opened: reload the set at the next booking."""
    global _hot_loaded_at
    with _lock:
        _hot_loaded_at = 0.0


def register_cache(clear: Callable[[], None]) -> None:
    """Caches keyed on account ids/codes (immutable in production) register here so that
    tests, which flush the database between cases, can clear them."""
    _cache_clearers.append(clear)


def clear_caches() -> None:
    global _hot_ids, _hot_loaded_at, _hot_sorted_from
    with _lock:
        _hot_ids, _hot_loaded_at, _hot_sorted_from = set(), 0.0, None
    for clear in _cache_clearers:
        clear()
