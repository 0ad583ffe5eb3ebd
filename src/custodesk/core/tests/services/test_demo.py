"""``custodesk demo`` (what ``make run`` seeds): a newcomer finds a living ledger — every
kind of transfer and hold state, refused attempts, freezes in force and released — and
the ledger is sound."""

from __future__ import annotations

import pytest

from custodesk.core import demo
from custodesk.identity.demo import DEMO_USERS
from custodesk.identity.models import User
from custodesk.ledger import services
from custodesk.ledger.models import AccountFreeze, LedgerAccount, LedgerTransfer, RefusedTransfer

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_a_living_sound_ledger_once():
    assert demo.seed(if_new=True) is True
    assert {u for u, _name, _role in DEMO_USERS} <= set(
        User.objects.values_list("username", flat=True)
    )
    assert set(LedgerAccount.objects.values_list("currency", flat=True)) == {"CNY", "HKD", "USD"}
    # the ledger demo's own market (the markets demo adds real markets' summary accounts)
    assert LedgerAccount.objects.filter(hot=True, code__startswith="MKT01-").count() == 3
    flags = set(LedgerTransfer.objects.values_list("flag", flat=True))
    assert flags == {"posted", "pending", "post_pending", "void_pending"}
    states = set(
        LedgerTransfer.objects.filter(flag="pending").values_list("pending_state", flat=True)
    )
    assert {"pending", "posted", "voided"} <= states
    assert LedgerTransfer.objects.count() >= 250  # "a few hundred"
    assert RefusedTransfer.objects.filter(code="exceeds_credits").exists()
    in_force = AccountFreeze.objects.filter(released_at__isnull=True)
    assert set(in_force.values_list("kind", flat=True)) == {"full", "amount"}
    assert in_force.filter(expires_at__isnull=False).count() == 1
    assert AccountFreeze.objects.filter(released_at__isnull=False).count() == 1
    assert services.verify() == []
    assert demo.seed(if_new=True) is False  # a second `make run` keeps the database
    assert "Demo logins (password for all: " in demo.notes()  # identity's step's notes
