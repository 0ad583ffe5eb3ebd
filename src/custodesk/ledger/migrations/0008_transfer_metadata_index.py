"""PostgreSQL: finding transfers by metadata uses an index.

``GET /ledger/transfers?metadata_key=…&metadata_value=…`` (and the console's filter)
scanned the whole table.  A GIN index over ``metadata`` serves the containment
(``metadata @> '{"key": "value"}'``) and key (``metadata ? 'key'``) queries the selector
asks on PostgreSQL.  Partial: only transfers that carry metadata are in it, so the many
that carry none (``{}``) cost a booking nothing extra.  SQLite has no GIN index: there
the filter reads the table (the embedded database is for small installations).
"""

from django.db import migrations

PG_FORWARD = """
CREATE INDEX IF NOT EXISTS ledger_transfer_metadata ON ledger_transfer USING gin (metadata)
    WHERE metadata <> '{}'::jsonb;
"""
PG_BACKWARD = "DROP INDEX IF EXISTS ledger_transfer_metadata;"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0007_refused_retries_recorded")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
