"""The chain head anchored outside the database: rewriting rows *and* the head
consistently (as someone with DDL rights could) still contradicts an anchor."""

import io

import pytest
from django.core.management import call_command

from custodesk.audit import services, tasks
from custodesk.audit.models import AuditChainHead, AuditEntry
from custodesk.audit.services import row_hash, verify_chain
from custodesk.core import anchors, modules
from custodesk.core.guards import guards_lifted

pytestmark = pytest.mark.django_db


def _verify() -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("audit", "verify", stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), err.getvalue()
    return 0, out.getvalue()


def _rewrite_tail(count: int) -> list[AuditEntry]:
    """Change the last ``count`` rows, recompute every hash and link, move the head: the
    chain alone no longer shows anything (triggers lifted, as a table owner can)."""
    rows = list(AuditEntry.objects.order_by("seq"))
    prev = rows[-count - 1].hash
    with guards_lifted("audit_auditentry"):
        for row in rows[-count:]:
            row.reason, row.prev_hash = "nothing happened here", prev
            row.hash = row_hash(row)
            AuditEntry.objects.filter(pk=row.pk).update(
                reason=row.reason, prev_hash=row.prev_hash, hash=row.hash
            )
            prev = row.hash
        AuditChainHead.objects.filter(pk=1).update(last_hash=prev)
    return rows[-count:]


def _remove_tail(count: int) -> int:
    rows = list(AuditEntry.objects.order_by("seq"))
    keep = rows[-count - 1]
    with guards_lifted("audit_auditentry"):
        AuditEntry.objects.filter(seq__gt=keep.seq).delete()
        AuditChainHead.objects.filter(pk=1).update(last_seq=keep.seq, last_hash=keep.hash)
    return keep.seq


def test_rewriting_the_last_ten_rows_and_the_head_contradicts_the_anchor(admin, make_user, clock):
    early = services.anchor_head(now=clock.now())  # anchor #1: the first few rows
    for name in ("alice", "bob", "carol", "dave"):
        make_user(name, roles=["operator"])
    clock.advance(minutes=5)
    head = services.anchor_head(now=clock.now())  # anchor #2: the head now
    assert early is not None and head is not None and early.fields["seq"] < head.fields["seq"] - 10
    assert _verify()[0] == 0

    rewritten = _rewrite_tail(10)
    assert list(verify_chain()) == []  # the plain chain check is fooled

    code, err = _verify()
    assert code == 1
    first = err.splitlines()[0]
    last = rewritten[-1]
    assert first.startswith(f"audit chain BROKEN at row seq={last.seq} id={last.public_id}: ")
    assert f"anchor #2 of {anchors.log_path('audit')} (line 2, " in first
    assert "rows rewritten at or before this one" in first
    assert f"recorded {head.fields['hash']}" in first
    assert "anchor #1" not in err  # the rows before it are as it recorded them


def test_removing_the_last_rows_and_moving_the_head_back_contradicts_the_anchor(
    admin, make_user, clock
):
    make_user("alice", roles=["operator"])
    anchor = services.anchor_head(now=clock.now())
    assert anchor is not None
    _remove_tail(3)
    assert list(verify_chain()) == []

    code, err = _verify()
    assert code == 1
    assert f"row seq={anchor.fields['seq']}: row removed: anchor #1 of " in err


def test_rows_after_the_last_anchor_are_fine_and_anchored_next_time(admin, make_user, clock):
    first = services.anchor_head(now=clock.now())
    assert services.anchor_head(now=clock.now()) is None  # nothing new
    make_user("alice")
    assert _verify() == (0, "audit chain intact\n")
    second = services.anchor_head(now=clock.now())
    assert first is not None and second is not None
    assert (second.n, second.prev) == (2, first.mac)
    assert second.fields == {
        "seq": AuditChainHead.objects.get().last_seq,
        "hash": AuditChainHead.objects.get().last_hash,
    }


def test_a_forged_anchor_line_is_reported(admin, clock):
    services.anchor_head(now=clock.now())
    path = anchors.log_path("audit")
    path.write_text(path.read_text().replace('"seq":', '"seq":1'))
    code, err = _verify()
    assert code == 1
    assert f"anchor log {path} line 1: bad signature" in err


def test_the_worker_anchors_the_head_at_a_fixed_interval(admin, clock):
    assert modules.schedule()["custodesk.audit.tasks.anchor_chain"] == 300
    seq = AuditChainHead.objects.get().last_seq
    assert tasks.anchor_chain.call() == seq
    assert tasks.anchor_chain.call() == 0  # the head has not moved
    [anchor] = anchors.read("audit").anchors
    assert anchor.fields["seq"] == seq
