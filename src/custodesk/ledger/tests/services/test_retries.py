"""Which database errors the engine retries: decided by SQLSTATE, constraint name or
SQLite result code, never by the text of the message.

Each error here is a real one, raised by the database and wrapped by Django as the
engine sees it.  The races that produce them under load are in test_concurrency.py.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from django.db import DatabaseError, IntegrityError, OperationalError, connection, transaction

from custodesk.ledger import services
from custodesk.ledger.engine.retries import KEY_CONSTRAINTS, is_retryable, with_retries
from custodesk.ledger.services import TransferSpec

pytestmark = pytest.mark.django_db

COLS = (
    "public_id, idempotency_key, debit_account_id, credit_account_id, amount, currency, flag, "
    "pending_id, pending_state, timeout_at, kind, business_date, group_id, metadata, "
    "requested_by, request_digest, created_at"
)


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("SQLSTATEs and constraint names are PostgreSQL's")


def _raised(sql: str, params: list[Any] | None = None) -> DatabaseError:
    """The error ``sql`` raises, as Django hands it on (the transaction stays usable)."""
    try:
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql, params)
    except DatabaseError as exc:
        return exc
    raise AssertionError(f"no error from {sql}")


def _keyed_transfer(clock: Any) -> int:
    def account(code: str) -> int:
        return services.account_open(
            actor=None, code=code, kind="member_sub", currency="HKD", now=clock.now()
        ).pk

    spec = TransferSpec(account("A"), account("B"), 100, "HKD", idempotency_key="k-1")
    out = services.book_one(spec, now=clock.now(), business_date=clock.business_date())
    assert out.ok and out.transfer is not None
    return int(out.transfer["internal_id"])


def test_a_race_for_the_transfer_key_is_retried_other_violations_are_not(postgres_only, clock):
    tid = _keyed_transfer(clock)
    # a second row under the same key: what a concurrent copy of the request meets
    race = _raised(
        f"INSERT INTO ledger_transfer ({COLS}) SELECT gen_random_uuid(), "
        f"{COLS.split(', ', 1)[1]} FROM ledger_transfer WHERE id = %s",
        [tid],
    )
    assert isinstance(race, IntegrityError)
    assert race.__cause__.diag.constraint_name in KEY_CONSTRAINTS  # type: ignore[union-attr]
    assert is_retryable(race)
    # the refused attempts' own unique key: the message names idempotency_key too, but it
    # is another constraint (the engine never hits it: ON CONFLICT DO NOTHING)
    refused = (
        "INSERT INTO ledger_refused_transfer (idempotency_key, request, code, detail, "
        "request_digest, created_at) VALUES ('r-1', '{}', 'x', '', '', now())"
    )
    with connection.cursor() as cur:
        cur.execute(refused)
    twice = _raised(refused)
    assert isinstance(twice, IntegrityError) and "idempotency_key" in str(twice)
    assert not is_retryable(twice)
    # a broken rule is a bug, never retried
    check = _raised("UPDATE ledger_account SET debits_posted = -1 WHERE code = 'A'")
    assert isinstance(check, IntegrityError) and not is_retryable(check)


@pytest.mark.django_db(transaction=True)
def test_a_lock_not_granted_is_retried(postgres_only, clock):
    import psycopg

    tid = _keyed_transfer(clock)
    s = connection.settings_dict
    holder = psycopg.connect(
        f"host={s['HOST'] or 'localhost'} port={s['PORT'] or 5432} dbname={s['NAME']} "
        f"user={s['USER']}"
    )
    try:
        holder.execute("SELECT 1 FROM ledger_transfer WHERE id = %s FOR UPDATE", [tid])
        busy = _raised("SELECT 1 FROM ledger_transfer WHERE id = %s FOR UPDATE NOWAIT", [tid])
    finally:
        holder.close()
    assert isinstance(busy, OperationalError)
    assert busy.__cause__.sqlstate == "55P03"  # type: ignore[union-attr]
    assert is_retryable(busy)


def _as_django(exc: sqlite3.Error) -> DatabaseError:
    """What Django's error wrapper makes of a driver error."""
    wrapped: DatabaseError = (
        IntegrityError(*exc.args)
        if isinstance(exc, sqlite3.IntegrityError)
        else OperationalError(*exc.args)
    )
    wrapped.__cause__ = exc
    return wrapped


def test_sqlite_busy_is_retried_a_unique_violation_is_not(tmp_path: Path):
    db = str(tmp_path / "retry.sqlite3")
    first = sqlite3.connect(db, isolation_level=None)
    second = sqlite3.connect(db, isolation_level=None, timeout=0)
    try:
        first.execute("CREATE TABLE t (idempotency_key TEXT UNIQUE)")
        first.execute("BEGIN IMMEDIATE")  # holds the write lock, as a booking does
        with pytest.raises(sqlite3.OperationalError) as locked:
            second.execute("BEGIN IMMEDIATE")
        first.execute("INSERT INTO t VALUES ('k-1')")
        with pytest.raises(sqlite3.IntegrityError) as unique:
            first.execute("INSERT INTO t VALUES ('k-1')")
        first.execute("ROLLBACK")
    finally:
        first.close()
        second.close()
    assert locked.value.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY
    assert is_retryable(_as_django(locked.value))
    assert "idempotency_key" in str(unique.value)
    assert not is_retryable(_as_django(unique.value))


@pytest.mark.parametrize(
    ("code", "attempts"),
    [(sqlite3.SQLITE_BUSY, "MAX_RETRIES"), (sqlite3.SQLITE_IOERR, 1)],
)
def test_retries_are_bounded_and_only_for_retryable_errors(monkeypatch, code, attempts):
    """The same text, two result codes: only the code decides."""
    from custodesk.ledger.engine import retries

    monkeypatch.setattr(retries.time, "sleep", lambda s: None)
    calls: list[int] = []
    error = sqlite3.OperationalError("database is locked")
    error.sqlite_errorcode = code  # type: ignore[attr-defined]

    def failing() -> None:
        calls.append(1)
        raise _as_django(error)

    with pytest.raises(OperationalError):
        with_retries(failing)
    assert len(calls) == (retries.MAX_RETRIES if attempts == "MAX_RETRIES" else attempts)
