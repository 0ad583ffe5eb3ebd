"""PostgreSQL: ``ledger_book_one`` installed whole from ``ledger/sql/ledger_book_one.sql``.

From here on the function lives in that one file; this migration installs it with
``CREATE OR REPLACE`` as the file has it (no editing of an earlier migration's text).
The function is the one migrations 0002 and 0004 built.

To change the function later: edit the file and add a migration like this one, naming
the file's new digest in ``BOOK_ONE_SHA256`` (the test suite fails until the latest
installing migration names the file's digest, and compares the installed body with
the file).  Going back from here reinstalls migration 0004's function.
"""

from importlib import import_module
from pathlib import Path

from django.db import migrations

SQL_FILE = Path(__file__).resolve().parent.parent / "sql" / "ledger_book_one.sql"
BOOK_ONE_SHA256 = "faa37d8efdac3b3fbe70596a38620f9166d59dca4b8392be20f585f54b9a9d1c"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SQL_FILE.read_text(encoding="utf-8"))


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        previous = import_module("custodesk.ledger.migrations.0004_freezes_stop_posting_holds")
        schema_editor.execute(previous.PG_FORWARD)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0005_transfers_and_seals_immutable")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
