"""The latest seal anchored outside the database: rewriting a sealed transfer and every
seal consistently passes the seal check alone, but ``ledger verify`` names the anchor."""

import io

import pytest
from django.core.management import call_command

from custodesk.core import anchors, modules
from custodesk.core.guards import guards_lifted
from custodesk.ledger import services, tasks
from custodesk.ledger.anchors import anchor_latest_seal
from custodesk.ledger.models import LedgerTransfer, TransferSeal
from custodesk.ledger.services import GENESIS, TransferSpec, _digest_range

pytestmark = pytest.mark.django_db


def _verify() -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("ledger", "verify", stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), err.getvalue()
    return 0, out.getvalue()


@pytest.fixture
def sealed(clock):
    a, b = (
        services.account_open(actor=None, code=c, kind="member_sub", currency="HKD",
                              now=clock.now())
        for c in ("A", "B")
    )  # fmt: skip
    for amount in (100, 40):
        [out] = services.book(
            [TransferSpec(a.pk, b.pk, amount, "HKD")],
            now=clock.now(),
            business_date=clock.business_date(),
        )
        assert out.ok
        services.seal(now=clock.now())
    return list(TransferSeal.objects.order_by("id"))


def _reseal_all() -> None:
    """Recompute every seal from the transfers as they are now (a table owner can)."""
    prev = GENESIS
    with guards_lifted("ledger_seal"):
        for seal in TransferSeal.objects.order_by("id"):
            digest, count = _digest_range(prev, seal.from_id, seal.to_id)
            TransferSeal.objects.filter(pk=seal.pk).update(
                digest=digest, prev_digest=prev, count=count
            )
            prev = digest


def test_a_rewritten_transfer_resealed_contradicts_the_anchor(sealed, clock):
    anchor = anchor_latest_seal(now=clock.now())
    assert anchor is not None and anchor.fields["seal"] == sealed[-1].pk
    assert anchor_latest_seal(now=clock.now()) is None  # already anchored
    assert _verify() == (0, "ledger invariants hold\n")

    first = LedgerTransfer.objects.order_by("id").first()
    assert first is not None
    with guards_lifted("ledger_transfer"):
        LedgerTransfer.objects.filter(pk=first.pk).update(kind="refund")
    assert any("changed" in str(v) for v in services.verify())  # the seals notice ...
    _reseal_all()
    assert services.verify() == []  # ... until they are recomputed

    code, err = _verify()
    assert code == 1
    assert f"VIOLATION anchor: seal {sealed[-1].pk} rewritten" in err
    assert f"{anchors.log_path('ledger-seals')} (line 1, " in err
    assert f"digest {sealed[-1].digest}" in err


def test_a_removed_seal_contradicts_the_anchor(sealed, clock):
    anchor_latest_seal(now=clock.now())
    with guards_lifted("ledger_seal"):
        TransferSeal.objects.filter(pk=sealed[-1].pk).delete()
    assert services.verify() == []
    code, err = _verify()
    assert code == 1
    assert f"VIOLATION anchor: seal {sealed[-1].pk} removed: anchor #1 of " in err


def test_the_worker_anchors_the_latest_seal(sealed):
    assert modules.schedule()["custodesk.ledger.tasks.anchor_seals"] == 300
    assert tasks.anchor_seals.call() == sealed[-1].pk
    assert tasks.anchor_seals.call() == 0
    [anchor] = anchors.read("ledger-seals").anchors
    assert anchor.fields == {
        "seal": sealed[-1].pk, "to_transfer": sealed[-1].to_id, "digest": sealed[-1].digest,
    }  # fmt: skip
