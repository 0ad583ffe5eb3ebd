"""PostgreSQL: the bulk statements with binary array parameters.

Django's cursors bind client-side, which quoted every array element into the SQL text
in Python; these statements run on a server-side-binding psycopg cursor
(:func:`custodesk.core.sql.server_cursor`, same connection and transaction) with
``%b`` (binary) array parameters and ``unnest``.  Below ``ARRAY_THRESHOLD`` rows plain
VALUES / IN lists are cheaper (measured: arrays doubled the cost of a single transfer,
halved a batch's), so small calls take the portable statements.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from django.db import connection

from custodesk.core import sql as sql_helpers
from custodesk.core.ids import uuid7

from ..rules import Acc, Booking
from .generic import ACC_COLS, ADD_TO_ACCOUNTS, INSERT_COLS, GenericSQL, acc_from_row

ARRAY_THRESHOLD = 32

# the types of INSERT_COLS, in order
_PG_TYPES = (
    "uuid", "text", "bigint", "bigint", "bigint", "text", "text", "bigint", "text",
    "timestamptz", "text", "date", "text", "jsonb", "bigint", "text", "timestamptz",
)  # fmt: skip
_METADATA = INSERT_COLS.split(", ").index("metadata")


def _run(sql: str, params: list[Any], **kw: Any) -> Any:
    """``sql`` on the server-side-binding cursor (errors as Django's)."""
    with connection.wrap_database_errors:
        cur = sql_helpers.server_cursor()
        cur.execute(sql, params, **kw)
        return cur


class PostgreSQL(GenericSQL):
    vendor = "postgresql"

    def account_ids_by_code(self, codes: list[str]) -> dict[str, int]:
        if len(codes) <= 2:
            return super().account_ids_by_code(codes)
        sql = "SELECT code, id FROM ledger_account WHERE code = ANY(%b::text[])"
        return dict(_run(sql, [codes]).fetchall())

    def lock_accounts(self, ids: list[int], mode: str) -> list[Acc]:
        if len(ids) < ARRAY_THRESHOLD:
            return super().lock_accounts(ids, mode)
        sql = (
            f"SELECT {ACC_COLS} FROM ledger_account WHERE id = ANY(%b::bigint[]) "
            f"ORDER BY id FOR {mode}"
        )
        return [acc_from_row(r) for r in _run(sql, [ids], binary=True).fetchall()]

    def insert_transfers(
        self,
        bookings: list[Booking],
        *,
        requested_by: int | None,
        business_date: dt.date,
        now: dt.datetime,
    ) -> dict[uuid.UUID, int]:
        """The whole batch in ONE statement.  A column whose value is the same for every
        row is one scalar parameter; the others are binary arrays (unnest)."""
        if len(bookings) < ARRAY_THRESHOLD:
            return super().insert_transfers(
                bookings, requested_by=requested_by, business_date=business_date, now=now
            )
        cols = _columns(bookings, requested_by=requested_by, business_date=business_date, now=now)
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
            else:  # jsonb travels as text and is cast per row
                select.append(f"u.c{i}::jsonb" if i == _METADATA else f"u.c{i}")
                unnest.append(f"%b::{'text' if pg_type == 'jsonb' else pg_type}[]")
                names.append(f"c{i}")
                array_params.append(values)
        sql = (
            f"INSERT INTO ledger_transfer ({INSERT_COLS}) SELECT {', '.join(select)} "
            f"FROM unnest({', '.join(unnest)}) AS u({', '.join(names)}) RETURNING id, public_id"
        )
        return {pid: tid for tid, pid in _run(sql, [*scalar_params, *array_params]).fetchall()}

    def add_to_accounts(self, touched: list[Acc]) -> None:
        if len(touched) < ARRAY_THRESHOLD:
            return super().add_to_accounts(touched)
        _run(
            ADD_TO_ACCOUNTS + "FROM unnest(%b::bigint[], %b::bigint[], %b::bigint[], "
            "%b::bigint[], %b::bigint[]) AS v(id, dp, cp, dpe, cpe) WHERE ledger_account.id = v.id",
            [
                [a.id for a in touched],
                [a.d_dp for a in touched],
                [a.d_cp for a in touched],
                [a.d_dpe for a in touched],
                [a.d_cpe for a in touched],
            ],
        )
        return None


def _columns(
    bookings: list[Booking], *, requested_by: int | None, business_date: dt.date, now: dt.datetime
) -> list[list[Any]]:
    """The INSERT's values column by column (each booking gets its public id)."""
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
    return cols
