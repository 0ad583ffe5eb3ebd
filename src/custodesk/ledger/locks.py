"""The ledger's row locks outside the booking engine, and the order they keep.

Bookings lock their accounts in the engine (``engine/sql``: ``lock_accounts`` in
ascending id, ``FOR UPDATE``, hot accounts ``FOR SHARE``; then the holds they resolve),
so two transfers over the same accounts never wait on each other in opposite orders.
The services here: placing a freeze locks its account only; releasing one locks the
freeze, then its account (``_release``) — nothing locks an account and then a freeze,
so the two never meet in opposite orders; the seal head is locked alone, in the
sealer's own transaction.  SQLite ignores row locks: its IMMEDIATE transactions serialise
writers.
"""

from __future__ import annotations

from typing import Any

from .models import AccountFreeze, LedgerAccount, TransferSeal


def account(pk: int) -> LedgerAccount | None:
    """An account by primary key, locked (``SELECT … FOR UPDATE``), or None."""
    return LedgerAccount.objects.select_for_update().filter(pk=pk).first()


def freeze(public_id: Any = None, *, pk: int | None = None) -> AccountFreeze | None:
    """A freeze by public id (or primary key), locked, or None."""
    qs = AccountFreeze.objects.select_for_update()
    return qs.filter(pk=pk).first() if pk is not None else qs.filter(public_id=public_id).first()


def seal_head() -> TransferSeal | None:
    """The latest seal, locked: one sealer at a time extends the chain."""
    return TransferSeal.objects.select_for_update().order_by("-id").first()
