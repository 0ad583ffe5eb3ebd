"""The ledger's SQL, per database backend.

:mod:`.generic` holds the portable statements; :mod:`.postgresql` replaces the bulk ones
with binary array parameters on a server-side-binding cursor; :mod:`.sqlite` reads
without row locks (its transactions are IMMEDIATE).  PostgreSQL's one-round-trip
booking function is ``ledger/sql/ledger_book_one.sql``, called by :mod:`..fast_path`.
"""

from __future__ import annotations

from django.db import connection

from .generic import GenericSQL
from .postgresql import PostgreSQL
from .sqlite import SQLite

_BACKENDS: dict[str, GenericSQL] = {"postgresql": PostgreSQL(), "sqlite": SQLite()}
_GENERIC = GenericSQL()


def backend() -> GenericSQL:
    """The statements for the default connection's database."""
    return _BACKENDS.get(connection.vendor, _GENERIC)


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


__all__ = ["GenericSQL", "PostgreSQL", "SQLite", "backend", "is_postgres"]
