"""PostgreSQL: ``ledger_book_one`` refuses to post a hold across a debit or credit freeze.

The engine refuses to post a hold when the account it debits is debit-frozen (or fully
frozen) or the account it credits is credit-frozen — a freeze placed after the hold.
The one-round-trip function must never be looser than the engine, so it now leaves such
a post to the general path, which refuses and records it.  The function is otherwise
the one of migration 0002.
"""

from importlib import import_module

from django.db import migrations

_0002 = import_module("custodesk.ledger.migrations.0002_book_one_function")

_ANCHOR = "    IF p_flag IN ('posted', 'pending') THEN\n        IF d.debit_blocks > 0"
_POST_CHECK = (
    "    IF p_flag = 'post_pending' AND (d.debit_blocks > 0 OR c.credit_blocks > 0) THEN\n"
    "        RETURN;\n"
    "    END IF;\n"
)
assert _0002.PG_FORWARD.count(_ANCHOR) == 1
PG_FORWARD = _0002.PG_FORWARD.replace(_ANCHOR, _POST_CHECK + _ANCHOR)


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_0002.PG_FORWARD)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0003_prune_transfer_indexes")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
