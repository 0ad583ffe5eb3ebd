"""Booking through the engine: posted, pending, post/void, refusals, idempotency, groups."""

import datetime as dt

import pytest

from custodesk.ledger import services
from custodesk.ledger.models import LedgerAccount, LedgerTransfer, RefusedTransfer
from custodesk.ledger.services import TransferSpec

pytestmark = pytest.mark.django_db


@pytest.fixture
def accounts(clock):
    def open_(code, **kw):
        return services.account_open(
            actor=None,
            code=code,
            kind=kw.pop("kind", "member_sub"),
            currency="HKD",
            now=clock.now(),
            **kw,
        )

    summary = open_("SUM-1", kind="market_summary", hot=True)
    alice = open_("M-ALICE", debits_must_not_exceed_credits=True)
    bob = open_("M-BOB", debits_must_not_exceed_credits=True)
    return summary, alice, bob


def book(clock, *specs):
    return services.book(list(specs), now=clock.now(), business_date=clock.business_date())


def fresh(a):
    return LedgerAccount.objects.get(pk=a.pk)


def test_deposit_transfer_and_insufficient_funds(accounts, clock):
    summary, alice, bob = accounts
    [dep] = book(clock, TransferSpec(summary.pk, alice.pk, 10_000, "HKD", kind="deposit"))
    assert dep.ok and dep.transfer["amount"] == 10_000
    [pay] = book(clock, TransferSpec(alice.pk, bob.pk, 2_500, "HKD"))
    assert pay.ok
    [too_much] = book(clock, TransferSpec(alice.pk, bob.pk, 7_501, "HKD"))
    assert not too_much.ok and too_much.code == "exceeds_credits"
    assert services.counters(fresh(alice)) == (2_500, 10_000, 0, 0)
    assert services.counters(fresh(summary)) == (10_000, 0, 0, 0)  # hot: in shards
    assert RefusedTransfer.objects.get().code == "exceeds_credits"
    assert services.verify() == []


def test_pending_post_partial_and_void(accounts, clock):
    summary, alice, bob = accounts
    book(clock, TransferSpec(summary.pk, alice.pk, 10_000, "HKD"))
    [hold] = book(clock, TransferSpec(alice.pk, summary.pk, 6_000, "HKD", flag="pending"))
    assert services.counters(fresh(alice)) == (0, 10_000, 6_000, 0)
    [blocked] = book(clock, TransferSpec(alice.pk, bob.pk, 4_001, "HKD"))
    assert blocked.code == "exceeds_credits"
    pid = hold.transfer["internal_id"]
    [post] = book(clock, TransferSpec(flag="post_pending", pending_id=pid, amount=5_000))
    assert post.ok and post.transfer["amount"] == 5_000
    assert services.counters(fresh(alice)) == (5_000, 10_000, 0, 0)
    [again] = book(clock, TransferSpec(flag="void_pending", pending_id=pid))
    assert again.code == "pending_transfer_already_resolved"
    [hold2] = book(clock, TransferSpec(alice.pk, summary.pk, 1_000, "HKD", flag="pending"))
    [void] = book(
        clock, TransferSpec(flag="void_pending", pending_id=hold2.transfer["internal_id"])
    )
    assert void.ok
    assert LedgerTransfer.objects.get(pk=hold2.transfer["internal_id"]).pending_state == "voided"
    assert services.verify() == []


def test_idempotency_replay_and_conflict(accounts, clock):
    summary, alice, _ = accounts
    spec = TransferSpec(summary.pk, alice.pk, 100, "HKD", idempotency_key="dep-1")
    first = book(clock, spec)[0]
    second = book(clock, spec)[0]
    assert second.ok and second.replayed and second.transfer["id"] == first.transfer["id"]
    other = TransferSpec(summary.pk, alice.pk, 101, "HKD", idempotency_key="dep-1")
    assert book(clock, other)[0].code == "idempotency_conflict"
    assert LedgerTransfer.objects.filter(idempotency_key="dep-1").count() == 1


def test_batch_with_invalid_items_and_atomic_group(accounts, clock):
    summary, alice, bob = accounts
    specs = [TransferSpec(summary.pk, alice.pk, 1, "HKD") for _ in range(1000)]
    for i in (10, 500, 999):
        specs[i] = TransferSpec(alice.pk, bob.pk, 10**9, "HKD")
    results = book(clock, *specs)
    assert [r.index for r in results] == list(range(1000))  # a result per item, in order
    assert [(r.index, r.code) for r in results if not r.ok] == [
        (10, "exceeds_credits"), (500, "exceeds_credits"), (999, "exceeds_credits"),
    ]  # fmt: skip
    assert sum(r.ok for r in results) == 997
    # what is stored is what was reported: 997 transfers, 3 refused attempts
    assert LedgerTransfer.objects.count() == 997
    assert services.counters(fresh(alice)) == (0, 997, 0, 0)
    assert RefusedTransfer.objects.filter(code="exceeds_credits").count() == 3
    booked = {r.transfer["internal_id"] for r in results if r.ok}
    assert booked == set(LedgerTransfer.objects.values_list("pk", flat=True))
    group = [
        TransferSpec(summary.pk, bob.pk, 50, "HKD", group_id="g1"),
        TransferSpec(bob.pk, alice.pk, 10**6, "HKD", group_id="g1"),
    ]
    out = book(clock, *group)
    assert [r.code for r in out] == ["group_failed", "exceeds_credits"]
    assert services.counters(fresh(bob)) == (0, 0, 0, 0)
    assert LedgerTransfer.objects.count() == 997  # none of the group
    assert services.verify() == []


def test_freezes_block_and_release(accounts, clock):
    summary, alice, bob = accounts
    book(clock, TransferSpec(summary.pk, alice.pk, 1_000, "HKD"))
    f = services.freeze_place(
        actor=None, account_id=alice.pk, kind="debit", reason_code="COURT", now=clock.now()
    )
    assert book(clock, TransferSpec(alice.pk, bob.pk, 1, "HKD"))[0].code == "account_debit_frozen"
    assert book(clock, TransferSpec(summary.pk, alice.pk, 1, "HKD"))[0].ok
    services.freeze_release(actor=None, freeze_id=f.public_id, reason="lifted", now=clock.now())
    amt = services.freeze_place(
        actor=None,
        account_id=alice.pk,
        kind="amount",
        amount=900,
        reason_code="HOLD",
        expires_at=clock.now() + dt.timedelta(days=1),
        now=clock.now(),
    )
    assert book(clock, TransferSpec(alice.pk, bob.pk, 102, "HKD"))[0].code == "exceeds_credits"
    assert book(clock, TransferSpec(alice.pk, bob.pk, 101, "HKD"))[0].ok
    clock.advance(days=1)
    assert services.release_expired_freezes(now=clock.now()) == 1
    amt.refresh_from_db()
    assert amt.released_at is not None
    assert services.verify() == []


def test_a_freeze_placed_after_a_hold_stops_its_posting_not_its_void(accounts, clock):
    """A withdrawal waits for its reviewer as a hold; a court freezes the member's account
    meanwhile.  Approving the withdrawal must not pay the money out; rejecting it (the
    money stays) still works, and so does posting once the freeze is lifted."""
    summary, alice, bob = accounts
    book(clock, TransferSpec(summary.pk, alice.pk, 1_000, "HKD", kind="deposit"))
    [hold] = book(clock, TransferSpec(alice.pk, summary.pk, 300, "HKD", flag="pending"))
    [hold2] = book(clock, TransferSpec(alice.pk, summary.pk, 200, "HKD", flag="pending"))
    court = services.freeze_place(
        actor=None, account_id=alice.pk, kind="full", reason_code="COURT", now=clock.now()
    )
    post = TransferSpec(flag="post_pending", pending_id=hold.transfer["internal_id"])
    [refused] = book(clock, post)
    assert (refused.ok, refused.code) == (False, "account_debit_frozen")
    assert RefusedTransfer.objects.filter(code="account_debit_frozen").count() == 1
    [void] = book(
        clock, TransferSpec(flag="void_pending", pending_id=hold2.transfer["internal_id"])
    )
    assert void.ok
    assert services.counters(fresh(alice)) == (0, 1_000, 300, 0)

    services.freeze_release(
        actor=None, freeze_id=court.public_id, reason="order lifted", now=clock.now()
    )
    [posted] = book(clock, post)
    assert posted.ok and posted.transfer["amount"] == 300
    assert services.counters(fresh(alice)) == (300, 1_000, 0, 0)

    # the side that receives: a credit freeze on it stops a hold posting into it
    [hold3] = book(clock, TransferSpec(alice.pk, bob.pk, 100, "HKD", flag="pending"))
    services.freeze_place(
        actor=None, account_id=bob.pk, kind="credit", reason_code="AML", now=clock.now()
    )
    [refused] = book(
        clock, TransferSpec(flag="post_pending", pending_id=hold3.transfer["internal_id"])
    )
    assert (refused.ok, refused.code) == (False, "account_credit_frozen")
    assert services.verify() == []


def test_close_needs_zero_balance(accounts, clock):
    summary, alice, bob = accounts
    book(clock, TransferSpec(summary.pk, alice.pk, 5, "HKD"))
    with pytest.raises(Exception) as exc:
        services.account_close(actor=None, account_id=alice.pk, reason="x", now=clock.now())
    assert exc.value.code == "account_has_balance"
    services.account_close(actor=None, account_id=bob.pk, reason="unused", now=clock.now())
    assert book(clock, TransferSpec(alice.pk, bob.pk, 1, "HKD"))[0].code == "account_closed"


def test_pending_timeout_and_sealing(accounts, clock):
    summary, alice, _ = accounts
    book(clock, TransferSpec(summary.pk, alice.pk, 500, "HKD"))
    [hold] = book(
        clock, TransferSpec(alice.pk, summary.pk, 200, "HKD", flag="pending", timeout_seconds=60)
    )
    clock.advance(seconds=61)
    assert services.expire_pending(now=clock.now(), business_date=clock.business_date()) == 1
    assert LedgerTransfer.objects.get(pk=hold.transfer["internal_id"]).pending_state == "expired"
    assert services.counters(fresh(alice)) == (0, 500, 0, 0)
    clock.advance(seconds=10)
    s = services.seal(now=clock.now())
    assert s is not None and s.count == 3
    assert services.verify() == []


def test_balance_as_of_and_statement(accounts, clock):
    from custodesk.ledger import selectors

    summary, alice, bob = accounts
    t0 = clock.now()
    book(clock, TransferSpec(summary.pk, alice.pk, 1_000, "HKD"))
    clock.advance(hours=1)
    t1 = clock.now()
    [hold] = book(clock, TransferSpec(alice.pk, bob.pk, 300, "HKD", flag="pending"))
    clock.advance(hours=1)
    book(clock, TransferSpec(flag="post_pending", pending_id=hold.transfer["internal_id"]))
    a = fresh(alice)
    assert selectors.balance(a, as_of=t0).balance == 1_000
    at_t1 = selectors.balance(a, as_of=t1)
    assert (at_t1.balance, at_t1.debits_pending, at_t1.available) == (1_000, 300, 700)
    now_bal = selectors.balance(a)
    assert (now_bal.balance, now_bal.debits_pending) == (700, 0)
    st = selectors.statement(a, date_from=clock.business_date(), date_to=clock.business_date())
    assert (st.opening, st.closing) == (0, 700)
    assert [(ln["credit"], ln["debit"], ln["balance"]) for ln in st.lines] == [
        (1_000, 0, 1_000),
        (0, 300, 700),
    ]


def test_results_describe_the_booked_rows_exactly(accounts, clock):
    """Booked transfers are described from what the engine has in hand (no re-read);
    the description must equal the row as stored."""
    summary, alice, _ = accounts
    outs = book(
        clock,
        TransferSpec(
            summary.pk,
            alice.pk,
            700,
            "HKD",
            kind="deposit",
            metadata={"ref": "x"},
            idempotency_key="k-1",
        ),
        TransferSpec(alice.pk, summary.pk, 200, "HKD", flag="pending", timeout_seconds=600),
    )

    def same_as_stored(out):
        stored = services.load_transfers([out.transfer["internal_id"]])
        return out.transfer == stored[out.transfer["internal_id"]]

    assert all(same_as_stored(o) for o in outs)
    post = book(
        clock,
        TransferSpec(flag="post_pending", pending_id=outs[1].transfer["internal_id"], amount=150),
    )[0]
    assert same_as_stored(post) and post.transfer["pending_id"] == outs[1].transfer["id"]


def test_a_large_mixed_batch_stores_exactly_what_it_reports(accounts, clock):
    """Large calls take the bulk statements (PostgreSQL: binary arrays, with a column that
    is the same on every row sent once).  Mix every column that can vary — keys on some
    items, metadata on some, holds with and without timeouts, posts and voids of earlier
    holds, hot and plain accounts — and every reported transfer must equal the stored row."""
    summary, alice, bob = accounts
    book(clock, TransferSpec(summary.pk, alice.pk, 1_000_000, "HKD"))
    holds = book(
        clock, *[TransferSpec(alice.pk, bob.pk, 100, "HKD", flag="pending") for _ in range(40)]
    )
    specs = []
    for i in range(200):
        if i < 40:
            flag = "post_pending" if i % 2 else "void_pending"
            specs.append(
                TransferSpec(
                    flag=flag,
                    pending_id=holds[i].transfer["internal_id"],
                    amount=60 if flag == "post_pending" and i % 4 == 1 else None,
                )
            )
            continue
        specs.append(
            TransferSpec(
                *((summary.pk, bob.pk) if i % 3 else (alice.pk, bob.pk)),
                i + 1,
                "HKD",
                flag="pending" if i % 5 == 0 else "posted",
                timeout_seconds=600 if i % 10 == 0 else None,
                kind="deposit" if i % 3 else "transfer",
                idempotency_key=f"bulk-{i}" if i % 7 == 0 else None,
                metadata={"row": i} if i % 2 else {},
            )
        )
    outs = book(clock, *specs)
    assert all(o.ok for o in outs), [o for o in outs if not o.ok][:3]
    stored = services.load_transfers([o.transfer["internal_id"] for o in outs])
    for o in outs:
        assert o.transfer == stored[o.transfer["internal_id"]]
    assert {o.transfer["pending_id"] for o in outs[:40]} == {h.transfer["id"] for h in holds}
    assert services.verify() == []
