"""Hot, hand-written queries: prepared once per connection on PostgreSQL.

Django's psycopg cursors bind parameters client-side, so PostgreSQL parses and
plans every statement anew.  For the few statements on the hottest paths (the
bearer-token lookup every API request makes, the ledger's booking call and bulk
statements) that planning cost more than the execution.  ``server_cursor()`` is a
psycopg cursor with server-side binding kept with Django's connection (so it
shares its transaction state), and ``fetch(..., prepare=True)`` makes PostgreSQL
keep the plan.  Elsewhere (SQLite) the same calls go through Django's cursor.

Callers keep the SQL in one place each and use ``%s`` placeholders (``%b`` for
binary array parameters on PostgreSQL).  Errors come out as Django's exceptions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections


def server_cursor(alias: str = DEFAULT_DB_ALIAS) -> Any:
    """A server-side-binding psycopg cursor on Django's connection (PostgreSQL only).

    Use inside ``connections[alias].wrap_database_errors``."""
    import psycopg

    conn: Any = connections[alias]
    conn.ensure_connection()
    raw = conn.connection
    cur = getattr(conn, "_custodesk_server_cursor", None)
    if cur is None or cur.closed or cur.connection is not raw:
        from psycopg.pq import Format
        from psycopg.types.numeric import Int8BinaryDumper, Int8Dumper

        TIMESTAMPTZ_OID = psycopg.adapters.types["timestamptz"].oid

        cur = psycopg.Cursor(raw)
        # every Python int goes as int8: psycopg would otherwise pick int2/int4/int8 by
        # value, and each combination of parameter types is another prepared statement
        cur.adapters.register_dumper(int, Int8Dumper)
        cur.adapters.register_dumper(int, Int8BinaryDumper)
        # psycopg's own (C) timestamptz loaders instead of the Python ones Django installs
        # on its connections; both give aware datetimes in the connection's time zone
        # (UTC, which Django sets)
        for fmt in (Format.TEXT, Format.BINARY):
            loader = psycopg.adapters.get_loader(TIMESTAMPTZ_OID, fmt)
            if loader is not None:
                cur.adapters.register_loader(TIMESTAMPTZ_OID, loader)
        conn._custodesk_server_cursor = cur
    return cur


def fetch(
    sql: str, params: Sequence[Any], *, one: bool = False, alias: str = DEFAULT_DB_ALIAS
) -> Any:
    """Run ``sql`` and return its rows (or the first row, or None, with ``one``);
    prepared on PostgreSQL."""
    conn = connections[alias]
    if conn.vendor == "postgresql":
        with conn.wrap_database_errors:
            cur = server_cursor(alias)
            cur.execute(sql, params, prepare=True)
            return cur.fetchone() if one else cur.fetchall()
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone() if one else cur.fetchall()


UPDATE_CHUNK = 500


def update_rows(objs: Sequence[Any], fields: Sequence[str]) -> int:
    """Write ``fields`` of model instances ``objs`` (all of one model, saved before) in
    one statement: ``UPDATE … FROM (VALUES …)`` joined on the primary key.

    What ``QuerySet.bulk_update`` does, without its ``CASE WHEN`` per row and field
    (whose building costs more than the statement on a batch of a hundred rows).  Values
    go through each field's own conversion (``get_db_prep_save``); on PostgreSQL each is
    cast to its column's type.  No signals, no ``auto_now``, as ``bulk_update``."""
    if len(objs) > UPDATE_CHUNK:
        return sum(
            update_rows(objs[i : i + UPDATE_CHUNK], fields)
            for i in range(0, len(objs), UPDATE_CHUNK)
        )
    if not objs:
        return 0
    model = type(objs[0])
    meta = model._meta
    conn = connections[DEFAULT_DB_ALIAS]
    pk = meta.pk
    assert pk is not None
    cols = [pk, *(meta.get_field(f) for f in fields)]
    pg = conn.vendor == "postgresql"
    qn = conn.ops.quote_name
    cell = (
        ", ".join(f"CAST(%s AS {c.db_type(conn)})" for c in cols)
        if pg
        else ", ".join("%s" for _c in cols)
    )
    names = ["id_", *(f"v{i}" for i in range(1, len(cols)))]
    sets = ", ".join(f"{qn(c.column)} = v.{n}" for c, n in zip(cols[1:], names[1:], strict=True))
    params: list[Any] = []
    for obj in objs:
        for c in cols:
            params.append(c.get_db_prep_save(getattr(obj, c.attname), connection=conn))
    values = ", ".join(f"({cell})" for _o in objs)
    table = qn(meta.db_table)
    # names from the model, quoted by the backend; every value is a bound parameter
    sql = (
        f"WITH v({', '.join(names)}) AS (VALUES {values}) "  # noqa: S608
        f"UPDATE {table} SET {sets} FROM v WHERE {table}.{qn(pk.column)} = v.id_"
    )
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return int(cur.rowcount)


def insert_rows_sql(objs: Sequence[Any], fields: Sequence[str]) -> tuple[str, list[Any]]:
    """``INSERT INTO … VALUES (…), (…)`` of ``fields`` of model instances ``objs`` (all
    of one model), and its parameters: each value through its field's own conversion, as
    ``bulk_create`` does, without its per-row work or ``RETURNING`` (the instances get
    no primary key).  For a caller that runs it, or chains it in a larger statement."""
    model = type(objs[0])
    meta = model._meta
    conn = connections[DEFAULT_DB_ALIAS]
    qn = conn.ops.quote_name
    cols = [meta.get_field(f) for f in fields]
    params: list[Any] = []
    for obj in objs:
        for c in cols:
            params.append(c.get_db_prep_save(c.pre_save(obj, True), connection=conn))
    row = "(" + ", ".join("%s" for _c in cols) + ")"
    names = ", ".join(qn(c.column) for c in cols)
    # names from the model, quoted by the backend; every value is a bound parameter
    sql = f"INSERT INTO {qn(meta.db_table)} ({names}) VALUES " + ", ".join(  # noqa: S608
        row for _o in objs
    )
    return sql, params


def insert_rows(objs: Sequence[Any]) -> None:
    """Insert model instances ``objs`` (all of one model, every concrete field but the
    primary key) — ``bulk_create`` for a hot path whose caller needs no primary keys back
    (the instances get none): one single-row statement sent for every row at once
    (``executemany``: PostgreSQL's pipeline, one round trip; the statement's text is
    short, so the driver parses it once, where a multi-row ``VALUES`` of thousands of
    placeholders is parsed anew on every call)."""
    if not objs:
        return
    meta = type(objs[0])._meta
    fields = [f.name for f in meta.concrete_fields if not f.primary_key]
    sql, _one = insert_rows_sql(objs[:1], fields)
    conn = connections[DEFAULT_DB_ALIAS]
    cols = [meta.get_field(f) for f in fields]
    rows = [
        [c.get_db_prep_save(c.pre_save(obj, True), connection=conn) for c in cols] for obj in objs
    ]
    with conn.cursor() as cur:
        cur.executemany(sql, rows)
