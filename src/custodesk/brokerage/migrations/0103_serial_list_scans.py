"""PostgreSQL: no parallel scans of the account list's tables (ACC-LIST).

The list's queries read a page of 50 rows (and a count capped at 1,000); a parallel plan
spends more starting its workers than it saves (measured on the million-account
benchmark: the client-status filter 16 ms serial, 28–46 ms parallel on 2 cores), and
its workers take CPU from the other requests.  ``parallel_workers = 0`` is a storage
parameter of each table, so nothing else in the database changes.  Nothing on SQLite.
"""

from typing import Any

from django.db import migrations

TABLES = ("brokerage_account", "brokerage_client", "brokerage_accountflagassignment")


def forward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"ALTER TABLE {table} SET (parallel_workers = 0)")


def backward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"ALTER TABLE {table} RESET (parallel_workers)")


class Migration(migrations.Migration):
    dependencies = [("brokerage", "0102_trading_products")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
