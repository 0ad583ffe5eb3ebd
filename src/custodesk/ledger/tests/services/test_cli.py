import io
import re

import pytest
from django.core.management import call_command
from django.db import connection

from custodesk.core.guards import guards_lifted
from custodesk.ledger import services
from custodesk.ledger.services import TransferSpec
from custodesk.ledger.tasks import expire_holds_and_freezes, seal_transfers

pytestmark = pytest.mark.django_db


def _verify() -> tuple[int, str]:
    err = io.StringIO()
    try:
        call_command("ledger", "verify", stdout=io.StringIO(), stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), err.getvalue()
    return 0, err.getvalue()


@pytest.mark.ledger_tampered  # tampers with a sealed transfer on purpose
def test_verify_seal_and_tamper(clock):
    src = services.account_open(
        actor=None, code="SRC", kind="bank_clearing", currency="USD", now=clock.now()
    )
    dst = services.account_open(
        actor=None,
        code="DST",
        kind="client_cash",
        currency="USD",
        debits_must_not_exceed_credits=True,
        now=clock.now(),
    )
    for _ in range(3):
        services.book_one(
            TransferSpec(src.pk, dst.pk, 100, "USD"),
            now=clock.now(),
            business_date=clock.business_date(),
        )
    assert _verify() == (0, "")
    clock.advance(seconds=10)
    assert seal_transfers.call() == 3
    out = io.StringIO()
    call_command("ledger", "seal", stdout=out)
    assert "nothing to seal" in out.getvalue()
    with guards_lifted("ledger_transfer"), connection.cursor() as cur:  # a table owner
        cur.execute(
            "UPDATE ledger_transfer SET amount = 1000 WHERE id = "
            "(SELECT MIN(id) FROM ledger_transfer)"
        )
    code, err = _verify()
    assert code == 1
    assert "account DST: counters" in err and "account SRC: counters" in err
    first = _first_id()
    # the checkpoint covers ids (previous seal, last id]: it names its range
    assert re.search(rf"seal \d+: transfers \d+\.\.{first + 2} changed", err)
    assert expire_holds_and_freezes.call() == {"holds": 0, "freezes": 0}


def _first_id() -> int:
    with connection.cursor() as cur:
        cur.execute("SELECT MIN(id) FROM ledger_transfer")
        return int(cur.fetchone()[0])
