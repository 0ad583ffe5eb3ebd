"""The embedded database commits durably: WAL with synchronous=FULL (an fsync per
commit), so a committed transfer survives a power loss, not only a killed process."""

from __future__ import annotations

import pytest
from django.db import connection


@pytest.mark.django_db
def test_sqlite_runs_wal_with_synchronous_full(on_postgres: bool):
    if on_postgres:
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "on"  # PostgreSQL's default: durable commits
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone()[0] == 2  # 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
