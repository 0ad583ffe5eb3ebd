"""The database's own guards on append-only tables, and lifting them where that is right.

Operation records (``audit_auditentry``) are append-only; ledger transfers are immutable
but for a hold's state, and seals append-only (``ledger_transfer``, ``ledger_seal``).
Triggers enforce it (see the migrations named below).  Lifting them is for the test
suite's flush between tests and for emptying a *benchmark* database — never for the
product's code paths; on PostgreSQL it needs the table owner's rights.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.db import connection

# migration module holding PG triggers and SQLITE_FORWARD / SQLITE_BACKWARD → its tables
GUARDED = {
    "custodesk.audit.migrations.0002_append_only_triggers": ("audit_auditentry",),
    "custodesk.ledger.migrations.0005_transfers_and_seals_immutable": (
        "ledger_transfer",
        "ledger_seal",
    ),
}


def set_guards(enable: bool = True, *, tables: Iterable[str] | None = None) -> None:
    """Switch the guards of ``tables`` (default: every guarded table) on or off."""
    wanted = set(tables) if tables is not None else None
    with connection.cursor() as cursor:
        for module, guarded in GUARDED.items():
            if wanted is not None and not wanted & set(guarded):
                continue
            if connection.vendor == "postgresql":
                # foreign keys are checked at commit; pending checks forbid ALTER TABLE
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
                for table in guarded:
                    cursor.execute(
                        f"ALTER TABLE {table} {'ENABLE' if enable else 'DISABLE'} TRIGGER USER"
                    )
                continue
            mig = importlib.import_module(module)
            if enable:
                for sql in mig.SQLITE_FORWARD:
                    cursor.execute(sql.replace("CREATE TRIGGER", "CREATE TRIGGER IF NOT EXISTS"))
            else:
                for sql in mig.SQLITE_BACKWARD:
                    cursor.execute(sql)


@contextmanager
def guards_lifted(*tables: str) -> Iterator[None]:
    """The guards of ``tables`` (default: all) off for the block, on again after it."""
    set_guards(False, tables=tables or None)
    try:
        yield
    finally:
        set_guards(True, tables=tables or None)
