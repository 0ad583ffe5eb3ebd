"""The flush that ends each transactional test, made cheap.

Django's ``flush`` empties every table — on PostgreSQL one ``TRUNCATE`` of all of them,
which costs a quarter of a second however little a test wrote — and then emits
``post_migrate``, which reloads the bank directory (17,000 keyword rows).  Between tests
that is most of a transactional test's time.  This flush

* keeps the reference tables (``custodesk.core.reference``): tests read them, and a
  transactional test that changed one would show in the next test's directory checks;
* on PostgreSQL, empties only the tables that hold rows, with ``DELETE`` inside the
  flush's transaction (foreign keys are deferred to its commit, so order does not matter).

The append-only guards are lifted for its duration (``custodesk.core.guards``), as for any
flush.  Installed by ``custodesk.testing.fixtures``; the product's ``flush`` is unchanged.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands import flush
from django.core.management.sql import sql_flush as django_sql_flush

from custodesk.core import reference


def sql_flush(
    style: Any, connection: Any, reset_sequences: bool = True, allow_cascade: bool = False
) -> list[str]:
    keep = reference.tables()
    tables = [
        t
        for t in connection.introspection.django_table_names(
            only_existing=True, include_views=False
        )
        if t not in keep
    ]
    if connection.vendor != "postgresql" or reset_sequences or allow_cascade:
        return list(
            connection.ops.sql_flush(
                style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        )
    quote = connection.ops.quote_name
    probe = " UNION ALL ".join(
        f"SELECT {i} WHERE EXISTS (SELECT 1 FROM {quote(t)})"  # noqa: S608 - table names
        for i, t in enumerate(tables)
    )
    with connection.cursor() as cursor:
        cursor.execute(probe)
        filled = [tables[row[0]] for row in cursor.fetchall()]
    return [f"DELETE FROM {quote(t)}" for t in filled]  # noqa: S608 - table names


def install() -> None:
    """Make ``flush`` (as the test cases call it) use :func:`sql_flush`, guards lifted."""
    original = flush.Command.handle
    if getattr(original, "custodesk_test_flush", False):
        return

    def handle(self: Any, **options: Any) -> Any:
        from custodesk.core.guards import guards_lifted

        flush.sql_flush = sql_flush  # type: ignore[attr-defined]
        try:
            with guards_lifted():
                return original(self, **options)
        finally:
            flush.sql_flush = django_sql_flush  # type: ignore[attr-defined]

    handle.custodesk_test_flush = True  # type: ignore[attr-defined]
    flush.Command.handle = handle  # type: ignore[method-assign]
