"""The ledger's statements in portable SQL, on Django's cursor (client-side binding).

SQLite runs these (with :mod:`.sqlite`'s few differences); PostgreSQL runs them for
small calls and replaces the bulk ones with array parameters (:mod:`.postgresql`).
Statements are composed only from constant column lists and placeholder lists; every
value travels as a parameter.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from django.db import connection

from custodesk.core import sql as sql_helpers
from custodesk.core.ids import uuid7

from ..rules import Acc, Booked, Booking, Pending, RefusedBefore

CHUNK = 400  # rows per multi-row INSERT
IN_CHUNK = 900  # values per IN (...) list (SQLite allows 999 parameters)

ACC_COLS = (
    "id, currency, status, debits_must_not_exceed_credits, credits_must_not_exceed_debits, hot, "
    "debit_blocks, credit_blocks, frozen_amount, debits_posted, credits_posted, "
    "debits_pending, credits_pending, code"
)
PENDING_COLS = (
    "id, debit_account_id, credit_account_id, amount, currency, pending_state, timeout_at, "
    "public_id"
)
INSERT_COLS = (
    "public_id, idempotency_key, debit_account_id, credit_account_id, amount, currency, flag, "
    "pending_id, pending_state, timeout_at, kind, business_date, group_id, metadata, "
    "requested_by, request_digest, created_at"
)
REFUSED_COLS = (
    "idempotency_key, request, code, detail, debit_account_id, credit_account_id, "
    "requested_by, request_digest, replay_of_id, created_at"
)
ADD_TO_ACCOUNTS = (
    "UPDATE ledger_account SET debits_posted = ledger_account.debits_posted + v.dp, "
    "credits_posted = ledger_account.credits_posted + v.cp, "
    "debits_pending = ledger_account.debits_pending + v.dpe, "
    "credits_pending = ledger_account.credits_pending + v.cpe "
)


def placeholders(n: int) -> str:
    return ", ".join(["%s"] * n)


def _uuid(value: Any) -> str:
    return str(uuid.UUID(str(value)))


def acc_from_row(r: Any) -> Acc:
    return Acc(
        id=r[0], currency=r[1], status=r[2], dmnec=bool(r[3]), cmned=bool(r[4]), hot=bool(r[5]),
        debit_blocks=r[6], credit_blocks=r[7], frozen=r[8], dp=r[9], cp=r[10], dpe=r[11],
        cpe=r[12], code=r[13],
    )  # fmt: skip


class GenericSQL:
    """Standard SQL: row locks with ``FOR UPDATE`` / ``FOR SHARE``, multi-row VALUES."""

    vendor = "generic"

    # -- reads -------------------------------------------------------------------------
    def hot_account_ids(self) -> set[int]:
        with connection.cursor() as cur:
            cur.execute("SELECT id FROM ledger_account WHERE hot")
            return {r[0] for r in cur.fetchall()}

    def account_ids_by_code(self, codes: list[str]) -> dict[str, int]:
        """Account codes → ids (codes that match nothing are left out)."""
        if len(codes) <= 2:  # the API's transfer: one prepared statement
            sql = "SELECT code, id FROM ledger_account WHERE code = %s OR code = %s"
            return dict(sql_helpers.fetch(sql, [codes[0], codes[-1]]))
        found: dict[str, int] = {}
        with connection.cursor() as cur:
            for start in range(0, len(codes), IN_CHUNK):
                chunk = codes[start : start + IN_CHUNK]
                ph = placeholders(len(chunk))
                cur.execute(f"SELECT code, id FROM ledger_account WHERE code IN ({ph})", chunk)
                found.update(cur.fetchall())
        return found

    def existing_by_key(self, keys: list[str]) -> tuple[Booked, RefusedBefore]:
        """Booked transfers and refusals already recorded under these keys."""
        booked: Booked = {}
        refused: RefusedBefore = {}
        with connection.cursor() as cur:
            for start in range(0, len(keys), IN_CHUNK):
                chunk = keys[start : start + IN_CHUNK]
                ph = placeholders(len(chunk))
                cur.execute(
                    "SELECT idempotency_key, id, request_digest FROM ledger_transfer "
                    f"WHERE idempotency_key IN ({ph})",
                    chunk,
                )
                for k, tid, digest in cur.fetchall():
                    booked[k] = (tid, digest)
                cur.execute(
                    "SELECT idempotency_key, id, code, detail, request_digest "
                    f"FROM ledger_refused_transfer WHERE idempotency_key IN ({ph})",
                    chunk,
                )
                for k, rid, code, detail, digest in cur.fetchall():
                    refused[k] = (rid, code, detail, digest)
        return booked, refused

    # -- locks -------------------------------------------------------------------------
    def row_lock(self, mode: str) -> str:
        """The clause that locks the selected rows (``mode``: UPDATE or SHARE)."""
        return f" FOR {mode}"

    def lock_accounts(self, ids: list[int], mode: str) -> list[Acc]:
        """Lock the accounts ``ids`` (sorted) in id order."""
        sql = (
            f"SELECT {ACC_COLS} FROM ledger_account WHERE id IN ({placeholders(len(ids))}) "
            f"ORDER BY id{self.row_lock(mode)}"
        )
        with connection.cursor() as cur:
            cur.execute(sql, ids)
            return [acc_from_row(r) for r in cur.fetchall()]

    def lock_pending(self, ids: list[int]) -> list[Pending]:
        """Lock the holds ``ids`` (sorted) in id order."""
        sql = (
            f"SELECT {PENDING_COLS} FROM ledger_transfer WHERE flag = 'pending' AND id IN "
            f"({placeholders(len(ids))}) ORDER BY id{self.row_lock('UPDATE')}"
        )
        with connection.cursor() as cur:
            cur.execute(sql, ids)
            rows = cur.fetchall()
        return [
            Pending(r[0], r[1], r[2], r[3], r[4], r[5], self.timestamp(r[6]), public_id=_uuid(r[7]))
            for r in rows
        ]

    def timestamp(self, value: Any) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value

    # -- writes ------------------------------------------------------------------------
    def uuid_param(self, u: uuid.UUID) -> Any:
        return u

    def insert_transfers(
        self,
        bookings: list[Booking],
        *,
        requested_by: int | None,
        business_date: dt.date,
        now: dt.datetime,
    ) -> dict[uuid.UUID, int]:
        """Multi-row INSERTs (each booking gets its public id); returns public_id → id."""
        ids: dict[uuid.UUID, int] = {}
        ops = connection.ops
        with connection.cursor() as cur:
            for start in range(0, len(bookings), CHUNK):
                chunk = bookings[start : start + CHUNK]
                params: list[Any] = []
                for b in chunk:
                    b.public_id = uuid7()
                    params += [
                        self.uuid_param(b.public_id), b.spec.idempotency_key, b.debit, b.credit,
                        b.amount, b.currency, b.flag, b.pending_id,
                        "pending" if b.flag == "pending" else "",
                        ops.adapt_datetimefield_value(b.timeout_at) if b.timeout_at else None,
                        b.spec.kind[:32], ops.adapt_datefield_value(business_date),
                        b.spec.group_id[:64], json.dumps(b.spec.metadata, sort_keys=True),
                        requested_by, b.spec.digest() if b.spec.idempotency_key else "",
                        ops.adapt_datetimefield_value(now),
                    ]  # fmt: skip
                row = "(" + placeholders(17) + ")"
                cur.execute(
                    f"INSERT INTO ledger_transfer ({INSERT_COLS}) VALUES "
                    + ", ".join([row] * len(chunk))
                    + " RETURNING id, public_id",
                    params,
                )
                for tid, pid in cur.fetchall():
                    ids[pid if isinstance(pid, uuid.UUID) else uuid.UUID(pid)] = tid
        return ids

    def add_to_accounts(self, touched: list[Acc]) -> None:
        """Add each account's deltas to its counters, in one statement."""
        cast = "CAST(%s AS BIGINT)"
        values = ", ".join([f"({', '.join([cast] * 5)})"] * len(touched))
        params: list[int] = []
        for a in touched:
            params += [a.id, a.d_dp, a.d_cp, a.d_dpe, a.d_cpe]
        with connection.cursor() as cur:
            cur.execute(
                f"WITH v(id, dp, cp, dpe, cpe) AS (VALUES {values}) "
                + ADD_TO_ACCOUNTS
                + "FROM v WHERE ledger_account.id = v.id",
                params,
            )

    def add_to_shard(self, a: Acc, slot: int) -> None:
        """A hot account's deltas go to one of its counter shards."""
        with connection.cursor() as cur:
            cur.execute(
                "UPDATE ledger_account_shard SET debits_posted = debits_posted + %s, "
                "credits_posted = credits_posted + %s, debits_pending = debits_pending + %s, "
                "credits_pending = credits_pending + %s WHERE account_id = %s AND slot = %s",
                [a.d_dp, a.d_cp, a.d_dpe, a.d_cpe, a.id, slot],
            )

    def resolve_pendings(self, state: str, ids: list[int]) -> int:
        """Holds ``ids`` still pending become ``state``; returns how many did."""
        with connection.cursor() as cur:
            cur.execute(
                f"UPDATE ledger_transfer SET pending_state = %s WHERE id IN "
                f"({placeholders(len(ids))}) AND pending_state = 'pending'",
                [state, *ids],
            )
            return int(cur.rowcount)

    def record_refusals(self, rows: list[list[Any]]) -> None:
        """Refused attempts, one row each (``REFUSED_COLS``, times as datetimes); a key
        recorded meanwhile keeps its first record."""
        ops = connection.ops
        params: list[Any] = []
        for r in rows:
            params += [*r[:-1], ops.adapt_datetimefield_value(r[-1])]
        row = "(" + placeholders(len(rows[0])) + ")"
        with connection.cursor() as cur:
            cur.execute(
                f"INSERT INTO ledger_refused_transfer ({REFUSED_COLS}) "
                f"VALUES {', '.join([row] * len(rows))} ON CONFLICT DO NOTHING",
                params,
            )
