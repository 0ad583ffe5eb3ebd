"""The database itself keeps transfers immutable and seals append-only.

A booked transfer is never changed or deleted (a correction is a reversing transfer);
the one thing that changes is a hold's ``pending_state`` (pending → posted / voided /
expired, and voided → expired when the expiry job voided it).  Seals (the hash chain's
checkpoints) are append-only.  PostgreSQL: trigger functions raising
``insufficient_privilege``, on TRUNCATE too.  SQLite: BEFORE UPDATE / DELETE triggers
that RAISE(ABORT).  A database owner can still switch triggers off: ``ledger verify``
(counters against transfers, the seals' hash chain) is what catches such a change.
"""

from django.db import migrations

PG_FORWARD = """
CREATE OR REPLACE FUNCTION ledger_transfer_guard() RETURNS trigger AS $$
DECLARE
    probe ledger_transfer;
BEGIN
    IF TG_OP = 'UPDATE' AND (OLD.pending_state = 'pending'
            OR (OLD.pending_state = 'voided' AND NEW.pending_state = 'expired')) THEN
        probe := NEW;
        probe.pending_state := OLD.pending_state;
        IF probe IS NOT DISTINCT FROM OLD THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'ledger_transfer is immutable: % refused (only a hold''s state changes)',
        TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER ledger_transfer_immutable BEFORE UPDATE OR DELETE ON ledger_transfer
    FOR EACH ROW EXECUTE FUNCTION ledger_transfer_guard();
CREATE TRIGGER ledger_transfer_no_truncate BEFORE TRUNCATE ON ledger_transfer
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_transfer_guard();

CREATE OR REPLACE FUNCTION ledger_seal_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ledger_seal is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER ledger_seal_append_only BEFORE UPDATE OR DELETE ON ledger_seal
    FOR EACH ROW EXECUTE FUNCTION ledger_seal_refuse_change();
CREATE TRIGGER ledger_seal_no_truncate BEFORE TRUNCATE ON ledger_seal
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_seal_refuse_change();
"""
PG_BACKWARD = """
DROP TRIGGER IF EXISTS ledger_seal_no_truncate ON ledger_seal;
DROP TRIGGER IF EXISTS ledger_seal_append_only ON ledger_seal;
DROP FUNCTION IF EXISTS ledger_seal_refuse_change();
DROP TRIGGER IF EXISTS ledger_transfer_no_truncate ON ledger_transfer;
DROP TRIGGER IF EXISTS ledger_transfer_immutable ON ledger_transfer;
DROP FUNCTION IF EXISTS ledger_transfer_guard();
"""

_UNCHANGED = " AND ".join(
    f"NEW.{c} IS OLD.{c}"
    for c in (
        "id", "public_id", "idempotency_key", "debit_account_id", "credit_account_id",
        "amount", "currency", "flag", "pending_id", "timeout_at", "kind", "business_date",
        "group_id", "metadata", "requested_by", "request_digest", "created_at",
    )
)  # fmt: skip
SQLITE_FORWARD = [
    f"""CREATE TRIGGER ledger_transfer_immutable BEFORE UPDATE ON ledger_transfer
       WHEN NOT ({_UNCHANGED} AND (OLD.pending_state = 'pending'
            OR (OLD.pending_state = 'voided' AND NEW.pending_state = 'expired')))
       BEGIN SELECT RAISE(ABORT,
           'ledger_transfer is immutable: UPDATE refused (only a hold''s state changes)'); END;""",
    """CREATE TRIGGER ledger_transfer_no_delete BEFORE DELETE ON ledger_transfer
       BEGIN SELECT RAISE(ABORT, 'ledger_transfer is immutable: DELETE refused'); END;""",
    """CREATE TRIGGER ledger_seal_no_update BEFORE UPDATE ON ledger_seal
       BEGIN SELECT RAISE(ABORT, 'ledger_seal is append-only: UPDATE refused'); END;""",
    """CREATE TRIGGER ledger_seal_no_delete BEFORE DELETE ON ledger_seal
       BEGIN SELECT RAISE(ABORT, 'ledger_seal is append-only: DELETE refused'); END;""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS ledger_transfer_immutable;",
    "DROP TRIGGER IF EXISTS ledger_transfer_no_delete;",
    "DROP TRIGGER IF EXISTS ledger_seal_no_update;",
    "DROP TRIGGER IF EXISTS ledger_seal_no_delete;",
]
TABLES = ("ledger_transfer", "ledger_seal")


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FORWARD, params=None)
    elif vendor == "sqlite":
        for sql in SQLITE_FORWARD:
            schema_editor.execute(sql)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD, params=None)
    elif vendor == "sqlite":
        for sql in SQLITE_BACKWARD:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0004_freezes_stop_posting_holds")]
    operations = [migrations.RunPython(forward, backward, elidable=False)]
