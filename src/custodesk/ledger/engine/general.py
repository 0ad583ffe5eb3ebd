"""The general path: any number of transfers (up to ``MAX_BATCH``) in one transaction.

1. idempotency: items whose key is already booked (or refused) are answered from the
   stored result; a key reused for different content is ``idempotency_conflict``; a key
   twice in the call is ``duplicate_in_batch``;
2. lock the holds that items post or void, then the accounts involved, in id order
   (``FOR UPDATE``; hot accounts ``FOR SHARE``, their counters live in shard rows) —
   and look at the keys again under the locks;
3. apply every item to the locked state **in memory**, in input order
   (:mod:`.rules`: an atomic group applies whole or not at all), so a refusal never
   needs a rollback;
4. write: the transfers, the touched account rows, one UPDATE per touched hot-account
   shard, the resolved holds, and the refused attempts.

The database constraints (non-negative counters, flags, positive amounts, unique keys)
are the backstop; they never fire unless the rules are wrong.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import DatabaseError, transaction

from ..models import HOT_SLOTS
from . import caches, results, rules, sql
from .rules import Acc, Booked, Booking, Pending, Refusal, RefusedBefore
from .spec import RESOLVING, Outcome, TransferSpec, spec_dict

Load = Callable[[list[int]], dict[int, dict[str, Any]]]


@transaction.atomic(durable=False)
def book_once(
    specs: Sequence[TransferSpec],
    *,
    requested_by: int | None,
    business_date: dt.date,
    now: dt.datetime,
    load: Load,
) -> list[Outcome]:
    """Book ``specs`` (accounts by id) in one transaction; an outcome per item, in order.

    ``load(ids)`` returns the public representation of booked transfers (for replays).
    """
    outcomes: list[Outcome | None] = [None] * len(specs)
    refused_before: RefusedBefore = {}
    live = _answer_recorded_keys(specs, outcomes, refused_before)
    pendings = lock_pending(specs[i].pending_id for i in live)
    accs = lock_accounts(_account_ids(specs, live, pendings))
    live = _look_again(specs, live, outcomes, refused_before)
    bookings, refusals = rules.apply_in_order(specs, live, accs, pendings, now)
    if bookings:
        ids = _write(bookings, accs, pendings, requested_by, business_date, now)
        for b in bookings:
            transfer = results.booked(b, ids[b.public_id], accs, pendings, business_date, now)
            outcomes[b.index] = Outcome(b.index, True, transfer=transfer)
    for i, err in refusals:
        outcomes[i] = rules.refused(i, err)
    retried = _replayed_refusals(specs, outcomes, refused_before)
    record_refusals(specs, refusals, retried, requested_by=requested_by, now=now)
    return _replays_loaded(outcomes, load)


# -- 1. idempotency --------------------------------------------------------------------
def recorded_keys(keys: list[str]) -> tuple[Booked, RefusedBefore]:
    """Booked transfers and refusals already recorded under these keys."""
    if not keys:
        return {}, {}
    return sql.backend().existing_by_key(keys)


def _answer_recorded_keys(
    specs: Sequence[TransferSpec], outcomes: list[Outcome | None], refused_before: RefusedBefore
) -> list[int]:
    """Answer the items whose key is recorded (or repeated in the call); the rest, the
    *live* items, are returned by index."""
    booked, refused = recorded_keys([k for s in specs if (k := s.idempotency_key)])
    refused_before.update(refused)
    seen_in_call: dict[str, int] = {}
    live: list[int] = []
    for i, s in enumerate(specs):
        k = s.idempotency_key
        recorded = rules.recorded_answer(i, s, booked, refused)
        if recorded is not None:
            outcomes[i] = recorded
        elif k and k in seen_in_call:
            outcomes[i] = Outcome(i, False, code="duplicate_in_batch", detail=str(seen_in_call[k]))
        else:
            if k:
                seen_in_call[k] = i
            live.append(i)
    return live


def _look_again(
    specs: Sequence[TransferSpec],
    live: list[int],
    outcomes: list[Outcome | None],
    refused_before: RefusedBefore,
) -> list[int]:
    """Look at the keys again now that the accounts are locked: another copy of the same
    request may have booked or refused the key since the first look.  It held these same
    locks until it committed, so it is visible now (a refusal leaves no row the unique
    index could catch, so without this a key once refused could be booked after all)."""
    late_keys = [k for i in live if (k := specs[i].idempotency_key)]
    if not late_keys:
        return live
    booked, refused = recorded_keys(late_keys)
    if not (booked or refused):
        return live
    refused_before.update(refused)
    still_live = []
    for i in live:
        recorded = rules.recorded_answer(i, specs[i], booked, refused)
        if recorded is None:
            still_live.append(i)
        else:
            outcomes[i] = recorded
    return still_live


# -- 2. locks --------------------------------------------------------------------------
def lock_pending(ids: Iterable[int | None]) -> dict[int, Pending]:
    """Lock the holds ``ids`` (FOR UPDATE), in id order."""
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    return {p.id: p for p in sql.backend().lock_pending(wanted)}


def lock_accounts(ids: Iterable[int]) -> dict[int, Acc]:
    """Lock accounts in id order: plain accounts FOR UPDATE, then hot ones FOR SHARE."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    hot = caches.hot_set()
    db = sql.backend()
    out: dict[int, Acc] = {}
    for group, mode in (([i for i in wanted if i not in hot], "UPDATE"),
                        ([i for i in wanted if i in hot], "SHARE")):  # fmt: skip
        if group:
            out.update((a.id, a) for a in db.lock_accounts(group, mode))
    return out


def _account_ids(
    specs: Sequence[TransferSpec], live: list[int], pendings: dict[int, Pending]
) -> set[int]:
    """The accounts the live items touch (a resolution: its hold's accounts)."""
    ids: set[int] = set()
    for i in live:
        s = specs[i]
        if s.flag in RESOLVING:
            p = pendings.get(s.pending_id or -1)
            if p is not None:
                ids.update((p.debit, p.credit))
        else:
            ids.update(x for x in (s.debit_account_id, s.credit_account_id) if x)
    return ids


# -- 4. writes -------------------------------------------------------------------------
def _write(
    bookings: list[Booking],
    accs: dict[int, Acc],
    pendings: dict[int, Pending],
    requested_by: int | None,
    business_date: dt.date,
    now: dt.datetime,
) -> dict[Any, int]:
    """Write what the bookings changed; returns public id → transfer id."""
    db = sql.backend()
    ids = db.insert_transfers(
        bookings, requested_by=requested_by, business_date=business_date, now=now
    )
    touched = [a for a in accs.values() if not a.hot and a.touched()]
    if touched:
        db.add_to_accounts(touched)
    for a in accs.values():
        if a.hot and a.touched():
            db.add_to_shard(a, random.randrange(HOT_SLOTS))
    resolved = [(p.id, p.resolved_here) for p in pendings.values() if p.resolved_here]
    for state in ("posted", "voided"):
        hold_ids = [i for i, s in resolved if s == state]
        if hold_ids and db.resolve_pendings(state, hold_ids) != len(hold_ids):
            raise DatabaseError("pending transfer resolved concurrently")
    return ids


def _replayed_refusals(
    specs: Sequence[TransferSpec], outcomes: list[Outcome | None], refused_before: RefusedBefore
) -> list[tuple[int, Outcome, int]]:
    """The items answered with a recorded refusal: (index, answer, the first attempt's id)."""
    return [
        (i, o, refused_before[key][0])
        for i, o in enumerate(outcomes)
        if o is not None and o.replayed and not o.ok and (key := specs[i].idempotency_key)
    ]


def record_refusals(
    specs: Sequence[TransferSpec],
    refusals: list[Refusal],
    retried: Sequence[tuple[int, Outcome, int]] = (),
    *,
    requested_by: int | None,
    now: dt.datetime,
) -> None:
    """Every refused item is a refused attempt: who asked for what, and why not.  A retry
    answered with a recorded refusal is an attempt too, pointing at the first one (the
    key stays with the first).  Rows in input order."""
    rows: list[tuple[int, list[Any]]] = []
    for i, err in refusals:
        spec, detail = specs[i], str(err.detail or err.title)[:300]
        rows.append((i, [spec.idempotency_key, err.code, detail, None]))
    for i, answer, first in retried:
        rows.append((i, [None, answer.code or "", answer.detail, first]))
    if not rows:
        return
    rows.sort(key=lambda r: r[0])
    sql.backend().record_refusals(
        [_refusal_row(specs[i], *row, requested_by=requested_by, now=now) for i, row in rows]
    )


def _refusal_row(
    spec: TransferSpec,
    key: str | None,
    code: str,
    detail: str,
    replay_of: int | None,
    *,
    requested_by: int | None,
    now: dt.datetime,
) -> list[Any]:
    """A refused attempt's row, in the order of ``sql.generic.REFUSED_COLS``."""
    request = json.dumps(spec_dict(spec), sort_keys=True)
    return [
        key, request, code, detail, spec.debit_account_id, spec.credit_account_id,
        requested_by, spec.digest(), replay_of, now,
    ]  # fmt: skip


def _replays_loaded(outcomes: list[Outcome | None], load: Load) -> list[Outcome]:
    """Only replays need a read: what was booked now is described from what is in hand."""
    want = [o.transfer["id"] for o in outcomes if o is not None and o.replayed and o.transfer]
    loaded = load(want) if want else {}
    final: list[Outcome] = []
    for o in outcomes:
        assert o is not None
        if o.replayed and o.transfer:
            o.transfer = loaded.get(o.transfer["id"], o.transfer)
        final.append(o)
    return final
