"""Two reviewers of two members approve signings of the same member code at the same
moment (real threads, PostgreSQL row locks): one contract, the other refused."""

import threading

import pytest
from django.db import connection

from custodesk.approvals import services as approvals
from custodesk.contracts import services
from custodesk.contracts.models import Contract
from custodesk.contracts.tests.conftest import add_user, open_member
from custodesk.core.errors import DomainError

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres_only]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row-lock races run on PostgreSQL (SQLite serialises writers)")


def _race(*calls):
    barrier = threading.Barrier(len(calls))
    out: list = [None] * len(calls)

    def run(i, fn):
        try:
            barrier.wait(timeout=10)
            out[i] = ("ok", fn())
        except DomainError as exc:
            out[i] = ("error", exc.code, exc.data.get("cause"))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return out


def test_the_same_member_code_approved_twice_at_once(market, clock):
    pending = []
    for n in (1, 2):
        member = open_member(
            kind="enterprise",
            name=f"Racer {n} Ltd",
            id_number=f"91350100M00010{n}Y43",
            mobile=f"1390000010{n}",
            now=clock.now(),
        )
        op = add_user(member, f"racer{n}.op", "custody_operator", now=clock.now())
        rv = add_user(member, f"racer{n}.rv", "custody_reviewer", now=clock.now())
        sub = services.sign_submit(
            actor=op,
            market_id=market.public_id,
            member_code="RACE",
            card_id=member.card.public_id,
            currency=None,
            agreement_version=market.agreement_version,
            agreement_accepted=True,
            now=clock.now(),
        )
        pending.append((rv, sub.request.public_id))
    out = _race(
        *[
            (lambda rv=rv, rid=rid: approvals.approve(actor=rv, request_id=rid, now=clock.now()))
            for rv, rid in pending
        ]
    )
    assert sorted(o[0] for o in out) == ["error", "ok"], out
    [refused] = [o for o in out if o[0] == "error"]
    assert refused[1:] == ("precondition_failed", "validation_failed")
    assert Contract.objects.filter(member_code="RACE").count() == 1
