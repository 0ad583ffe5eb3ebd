"""The audit writer and the chain verifier.

Every write service calls :func:`record` inside its own transaction, so the
operation record commits (or rolls back) with the change it describes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection

from custodesk.core import anchors, context, sql

from .models import AuditChainHead, AuditEntry

GENESIS = "0" * 64


class AuditActor(Protocol):
    pk: Any
    username: str
    organisation_id: int

    def audit_snapshot(self) -> dict[str, Any]: ...


def _jsonable(value: Any) -> Any:
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def canonical(fields: dict[str, Any]) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def _content(entry: AuditEntry) -> dict[str, Any]:
    """The fields a row's hash covers, in a form that survives a database round trip."""
    at = entry.at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return {
        "seq": entry.seq,
        "public_id": str(entry.public_id),
        "at": at,
        "actor_id": entry.actor_id,
        "actor_username": entry.actor_username,
        "organisation_id": entry.organisation_id,
        "organisation_code": entry.organisation_code,
        "roles": entry.roles,
        "channel": entry.channel,
        "ip": entry.ip,
        "device_id": entry.device_id,
        "request_id": entry.request_id,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "object_repr": entry.object_repr,
        "before": entry.before,
        "after": entry.after,
        "reason": entry.reason,
        "approval_request_id": entry.approval_request_id,
        "prev_hash": entry.prev_hash,
    }


def row_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(canonical(_content(entry))).hexdigest()


def entry(
    *,
    actor: AuditActor | None,
    action: str,
    object_type: str,
    object_id: object = None,
    object_repr: str = "",
    before: Any = None,
    after: Any = None,
    reason: str = "",
    approval_request_id: str | None = None,
    organisation_id: int | None = None,
    organisation_code: str = "",
    now: dt.datetime,
    snapshot: dict[str, Any] | None = None,
) -> AuditEntry:
    """One operation record, not yet chained or saved: for :func:`record_many`.

    ``snapshot``: the actor's :meth:`audit_snapshot`, when the caller has it already
    (a batch by one user reads the user's roles once)."""
    ctx = context.current()
    if snapshot is None:
        snapshot = actor.audit_snapshot() if actor is not None else {}
    return AuditEntry(
        at=now,
        actor_id=snapshot.get("id"),
        actor_username=snapshot.get("username", "" if actor else "system"),
        organisation_id=organisation_id
        if organisation_id is not None
        else snapshot.get("organisation_id"),
        organisation_code=organisation_code or snapshot.get("organisation_code", ""),
        roles=snapshot.get("roles", []),
        channel=ctx.channel,
        ip=ctx.ip or "",
        device_id=ctx.device_id,
        request_id=ctx.request_id,
        action=action,
        object_type=object_type,
        object_id="" if object_id is None else str(object_id),
        object_repr=object_repr[:200],
        before=_jsonable(before),
        after=_jsonable(after),
        reason=reason,
        approval_request_id=approval_request_id or "",
    )


ENTRY_FIELDS = [f.name for f in AuditEntry._meta.concrete_fields if not f.primary_key]


HEAD_LOCKED = "SELECT last_seq, last_hash FROM audit_auditchainhead WHERE id = 1 FOR UPDATE"
HEAD = "SELECT last_seq, last_hash FROM audit_auditchainhead WHERE id = 1"
HEAD_MOVE = "UPDATE audit_auditchainhead SET last_seq = %s, last_hash = %s WHERE id = 1"
# up to this many rows: one statement with the head's move, the rows' ids returned
ONE_STATEMENT = 8


def _locked_head() -> tuple[int, str]:
    """The chain head's sequence and hash, its row locked until the commit (SQLite
    has no row locks: its writers are serialised)."""
    query = HEAD_LOCKED if connection.vendor == "postgresql" else HEAD
    row = sql.fetch(query, [], one=True)
    if row is None:
        AuditChainHead.objects.get_or_create(pk=1)
        row = sql.fetch(query, [], one=True)
    return int(row[0]), str(row[1])


def record_many(entries: Sequence[AuditEntry]) -> list[AuditEntry]:
    """Append ``entries`` (from :func:`entry`) in their order: the chain head locked
    once, the rows written together — up to :data:`ONE_STATEMENT` in one statement with
    the head's move (their ids set), more sent at once without ids
    (``sql.insert_rows``).  Must run inside the caller's transaction; a batch writes its
    records last, so the head stays locked only from here to the commit."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record() must be called inside the service's transaction")
    if not entries:
        return []
    # Lock the chain head first: appends are serialised, the chain cannot fork.
    seq, prev = _locked_head()
    for e in entries:
        seq += 1
        e.seq, e.prev_hash = seq, prev
        e.hash = prev = row_hash(e)
    if len(entries) > ONE_STATEMENT:  # many: sent at once, no ids back
        sql.insert_rows(entries)
        with connection.cursor() as cur:
            cur.execute(HEAD_MOVE, [seq, prev])
        return list(entries)
    insert, params = sql.insert_rows_sql(entries, ENTRY_FIELDS)
    insert += " RETURNING id, seq"
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":  # one round trip
            cur.execute(
                f"WITH appended AS ({insert}), moved AS ({HEAD_MOVE}) SELECT id, seq FROM appended",  # noqa: S608
                [*params, seq, prev],
            )
            ids = dict((s, i) for i, s in cur.fetchall())
        else:
            cur.execute(insert, params)
            ids = dict((s, i) for i, s in cur.fetchall())
            cur.execute(HEAD_MOVE, [seq, prev])
    for e in entries:
        e.pk = ids[e.seq]
        e._state.adding, e._state.db = False, connection.alias
    return list(entries)


def record(
    *,
    actor: AuditActor | None,
    action: str,
    object_type: str,
    object_id: object = None,
    object_repr: str = "",
    before: Any = None,
    after: Any = None,
    reason: str = "",
    approval_request_id: str | None = None,
    organisation_id: int | None = None,
    organisation_code: str = "",
    now: dt.datetime,
) -> AuditEntry:
    """Append one operation record.  Must run inside the caller's transaction."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record() must be called inside the service's transaction")
    return record_many(
        [
            entry(
                actor=actor,
                action=action,
                object_type=object_type,
                object_id=object_id,
                object_repr=object_repr,
                before=before,
                after=after,
                reason=reason,
                approval_request_id=approval_request_id,
                organisation_id=organisation_id,
                organisation_code=organisation_code,
                now=now,
            )
        ]
    )[0]


@dataclass(frozen=True)
class ChainProblem:
    seq: int | None
    public_id: str
    problem: str

    def __str__(self) -> str:
        if self.seq and self.public_id:
            where = f"row seq={self.seq} id={self.public_id}"
        else:
            where = f"row seq={self.seq}" if self.seq else "chain head"
        return f"{where}: {self.problem}"


def verify_chain(batch: int = 2000) -> Iterator[ChainProblem]:
    """Yield every problem found, first one first; nothing yielded = chain intact."""
    expected_prev = GENESIS
    expected_seq = 1
    last_seq = 0
    qs = AuditEntry.objects.order_by("seq")
    after = 0
    while True:
        rows = list(qs.filter(seq__gt=after)[:batch])
        if not rows:
            break
        for entry in rows:
            pid = str(entry.public_id)
            if entry.seq != expected_seq:
                yield ChainProblem(
                    entry.seq, pid, f"sequence gap: expected {expected_seq} (rows removed)"
                )
            if entry.prev_hash != expected_prev:
                yield ChainProblem(entry.seq, pid, "previous-hash link broken")
            if row_hash(entry) != entry.hash:
                yield ChainProblem(entry.seq, pid, "content does not match its hash (row changed)")
            expected_prev = entry.hash
            expected_seq = entry.seq + 1
            last_seq = entry.seq
        after = rows[-1].seq
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and (head.last_seq != last_seq or head.last_hash != expected_prev):
        yield ChainProblem(
            None, "", f"head says seq {head.last_seq}, chain ends at {last_seq} (rows removed)"
        )


# -- anchors: the chain's head outside the database (custodesk.core.anchors) ----------
ANCHOR_LOG = "audit"


def anchor_head(*, now: dt.datetime) -> anchors.Anchor | None:
    """Append the chain head (sequence, hash) to the anchor log, signed; None when the
    chain is empty or its head has not moved since the last anchor."""
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is None or head.last_seq == 0:
        return None
    return anchors.append(
        ANCHOR_LOG, fields={"seq": head.last_seq, "hash": head.last_hash}, now=now
    )


def verify_anchors(batch: int = 1000) -> Iterator[ChainProblem | anchors.LogProblem]:
    """Problems of the anchor log itself, then every anchor the chain contradicts: the
    anchored row gone (rows removed) or with another hash (rows rewritten at or before
    it — each row's hash covers the one before)."""
    reading = anchors.read(ANCHOR_LOG)
    yield from reading.problems
    for start in range(0, len(reading.anchors), batch):
        chunk = reading.anchors[start : start + batch]
        rows = {
            seq: (h, str(pid))
            for seq, h, pid in AuditEntry.objects.filter(
                seq__in=[a.fields["seq"] for a in chunk]
            ).values_list("seq", "hash", "public_id")
        }
        for a in chunk:
            seq, anchored = a.fields["seq"], a.fields["hash"]
            if seq not in rows:
                yield ChainProblem(
                    seq, "", f"row removed: {a} records the chain up to here (hash {anchored})"
                )
            elif rows[seq][0] != anchored:
                yield ChainProblem(
                    seq,
                    rows[seq][1],
                    f"rows rewritten at or before this one: hash {rows[seq][0]}, "
                    f"but {a} recorded {anchored}",
                )


def verify() -> list[ChainProblem | anchors.LogProblem]:
    """The chain recomputed (:func:`verify_chain`), then checked against its anchors."""
    return [*verify_chain(), *verify_anchors()]
