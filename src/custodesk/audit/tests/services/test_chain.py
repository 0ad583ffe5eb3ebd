"""The operation log is append-only and tamper-evident."""

import io
import itertools

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from custodesk.audit.models import AuditEntry
from custodesk.audit.services import record, verify_chain


def _verify() -> tuple[int, str]:
    err = io.StringIO()
    try:
        call_command("audit", "verify", stdout=io.StringIO(), stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), err.getvalue()
    return 0, err.getvalue()


def _raw_update(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _disable_guard() -> None:
    """What an attacker with DDL rights would do first: drop the append-only guard."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_no_update")
        else:
            cursor.execute("DROP TRIGGER audit_entry_no_update")
            cursor.execute("DROP TRIGGER audit_entry_no_delete")


@pytest.mark.django_db
def test_every_row_links_to_the_previous_one(admin, make_user):
    make_user("alice", roles=["operator"])
    rows = list(AuditEntry.objects.order_by("seq"))
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    for prev, row in itertools.pairwise(rows):
        assert row.prev_hash == prev.hash
    assert list(verify_chain()) == []
    assert _verify()[0] == 0


@pytest.mark.django_db
def test_record_carries_request_context(admin, clock, request_context):
    with transaction.atomic():
        entry = record(
            actor=admin,
            action="test.touch",
            object_type="thing",
            object_id=7,
            before={"a": 1},
            after={"a": 2},
            reason="because",
            approval_request_id="REQ-1",
            now=clock.now(),
        )
    entry.refresh_from_db()
    assert entry.actor_username == "admin"
    assert entry.roles == ["admin"]
    assert entry.ip == "127.0.0.1"
    assert entry.request_id == request_context.request_id
    assert entry.approval_request_id == "REQ-1"
    assert entry.before == {"a": 1} and entry.after == {"a": 2}


@pytest.mark.django_db(transaction=True)
def test_record_outside_a_transaction_is_a_bug(admin, clock):
    with pytest.raises(RuntimeError):
        record(actor=admin, action="x", object_type="y", now=clock.now())


@pytest.mark.django_db
def test_direct_update_is_refused_by_the_database(admin):
    entry = AuditEntry.objects.order_by("seq").first()
    with pytest.raises(DatabaseError), transaction.atomic():
        _raw_update("UPDATE audit_auditentry SET action = %s WHERE id = %s", ["forged", entry.pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        _raw_update("DELETE FROM audit_auditentry WHERE id = %s", [entry.pk])
    entry.refresh_from_db()
    assert entry.action != "forged"


@pytest.mark.django_db
def test_changed_row_is_named_by_verify(admin, make_user):
    make_user("alice", roles=["operator"])
    victim = AuditEntry.objects.get(action="role.grant", object_repr__startswith="alice")
    _disable_guard()
    _raw_update(
        "UPDATE audit_auditentry SET after = %s WHERE id = %s",
        ['{"roles": ["admin"]}', victim.pk],
    )
    code, err = _verify()
    assert code == 1
    assert f"seq={victim.seq}" in err
    assert str(victim.public_id) in err
    assert "row changed" in err


@pytest.mark.django_db
def test_rehashed_row_breaks_the_next_link(admin, make_user):
    """Recomputing the forged row's own hash does not help: the next row points at the old one."""
    from custodesk.audit.services import row_hash

    make_user("alice")
    rows = list(AuditEntry.objects.order_by("seq"))
    victim, follower = rows[-2], rows[-1]
    _disable_guard()
    victim.reason = "forged"
    new_hash = row_hash(victim)
    _raw_update(
        "UPDATE audit_auditentry SET reason = %s, hash = %s WHERE id = %s",
        ["forged", new_hash, victim.pk],
    )
    code, err = _verify()
    assert code == 1
    assert f"seq={follower.seq}" in err.splitlines()[0]


@pytest.mark.django_db
def test_removed_rows_are_detected(admin, make_user):
    make_user("alice")
    rows = list(AuditEntry.objects.order_by("seq"))
    _disable_guard()
    _raw_update("DELETE FROM audit_auditentry WHERE id = %s", [rows[2].pk])
    code, err = _verify()
    assert code == 1
    assert f"seq={rows[3].seq}" in err.splitlines()[0]
    # removing the tail is caught by the chain head
    _raw_update("DELETE FROM audit_auditentry WHERE id = %s", [rows[-1].pk])
    problems = [str(p) for p in verify_chain()]
    assert any("chain head" in p for p in problems)


@pytest.mark.django_db
def test_a_batch_of_records_is_chained_in_order_in_one_append(admin, clock):
    from django.test.utils import CaptureQueriesContext

    from custodesk.audit.services import entry, record_many

    rows = [
        entry(
            actor=admin if n % 2 else None,
            action="test.bulk",
            object_type="thing",
            object_id=n,
            before=None,
            after={"n": n, "name": "證券 证券"},
            now=clock.now(),
        )
        for n in range(12)
    ]
    head = AuditEntry.objects.order_by("-seq").first()
    with transaction.atomic(), CaptureQueriesContext(connection) as q:
        written = record_many(rows)
    # the head read, the rows (sent at once), the head's move
    assert len([s for s in q.captured_queries if "audit_" in s["sql"]]) <= 3
    stored = list(AuditEntry.objects.filter(action="test.bulk").order_by("seq"))
    assert [e.public_id for e in written] == [e.public_id for e in stored]
    assert [e.seq for e in stored] == [head.seq + n for n in range(1, 13)]
    assert stored[0].prev_hash == head.hash
    assert [e.after["name"] for e in stored] == ["證券 证券"] * 12
    assert [e.actor_username for e in stored] == ["system", "admin"] * 6
    assert stored[1].roles == ["admin"] and stored[0].before is None
    assert list(verify_chain()) == []
    with transaction.atomic():
        assert record_many([]) == []
        few = record_many([entry(actor=admin, action="test.few", object_type="t", now=clock.now())])
    assert AuditEntry.objects.get(pk=few[0].pk).action == "test.few"
    assert list(verify_chain()) == []
