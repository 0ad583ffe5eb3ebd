"""Booking under real concurrency (PostgreSQL row locks), and idempotency.

The threaded tests need PostgreSQL: SQLite has no row locks (its IMMEDIATE
transactions serialise writers), so there is nothing to race there.  Each
thread has its own database connection and closes it at the end.  The
idempotency rules that need no threads run on both databases.
"""

from __future__ import annotations

import random
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction

from custodesk.ledger import engine, services
from custodesk.ledger.engine import general
from custodesk.ledger.engine import retries as retrying
from custodesk.ledger.models import LedgerAccount, LedgerTransfer, RefusedTransfer
from custodesk.ledger.services import TransferSpec


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row-lock races run on PostgreSQL (SQLite serialises writers)")


def open_account(clock, code: str, **kw: Any) -> LedgerAccount:
    return services.account_open(
        actor=None,
        code=code,
        kind=kw.pop("kind", "member_sub"),
        currency="HKD",
        now=clock.now(),
        **kw,
    )


def book(clock, *specs: TransferSpec) -> list[services.Outcome]:
    return services.book(list(specs), now=clock.now(), business_date=clock.business_date())


def run_threads(n: int, work: Callable[[int], Any], *, timeout: float = 300) -> list[Any]:
    """Run ``work(i)`` in n threads started together; every exception is collected."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n
    errors: list[str] = []

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = work(i)
        except BaseException:  # every exception must reach the test
            errors.append(traceback.format_exc())
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + timeout
    for t in threads:
        t.join(timeout=max(0.1, deadline - time.monotonic()))
    assert not any(t.is_alive() for t in threads), "a thread did not finish in time"
    assert errors == [], "\n".join(errors)
    return results


# -- 8 threads × 1,000 random transfers among 50 accounts ------------------------------------
THREADS = 8
OPS_PER_THREAD = 1_000
MEMBERS = 50
FUNDING = 20_000  # per member


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_random_transfers_from_eight_threads_keep_the_ledger_sound(
    postgres_only, clock, monkeypatch
):
    source = open_account(clock, "SOURCE", kind="bank_clearing")
    fees = open_account(clock, "FEES", kind="fee", hot=True)  # shard rows, FOR SHARE locks
    members = [
        open_account(clock, f"M{i:03d}", debits_must_not_exceed_credits=True)
        for i in range(MEMBERS)
    ]
    ids = [m.pk for m in members]
    funded = book(clock, *[TransferSpec(source.pk, i, FUNDING, "HKD") for i in ids])
    assert all(o.ok for o in funded)
    initial = FUNDING * MEMBERS

    def fast_book(spec: TransferSpec) -> services.Outcome:
        """``services.book`` minus its read-back of the booked rows as dicts (two thirds of
        a call's CPU, all under the GIL, and no part of the locking under test)."""
        [out] = engine.book(
            [spec],
            requested_by=None,
            business_date=clock.business_date(),
            now=clock.now(),
            load=lambda ids: {i: {"internal_id": i} for i in ids},
        )
        return out

    def work(t: int) -> dict[str, Any]:
        rnd = random.Random(1_000 + t)
        codes: Counter[str] = Counter()
        anomalies: list[str] = []
        booked = refused = 0

        def call(spec: TransferSpec) -> services.Outcome:
            nonlocal booked, refused
            out = fast_book(spec)
            codes[out.code or "ok"] += 1
            if out.ok:
                booked += 1
            else:
                refused += 1
            return out

        for _ in range(OPS_PER_THREAD):
            debit, credit = rnd.sample(ids, 2)
            amount = rnd.randint(1, 12_000)
            op = rnd.choices(["posted", "post", "void", "fee"], weights=[5, 3, 2, 1])[0]
            if op == "posted":
                call(TransferSpec(debit, credit, amount, "HKD"))
            elif op == "fee":
                call(TransferSpec(debit, fees.pk, rnd.randint(1, 50), "HKD", kind="fee"))
            else:
                hold = call(TransferSpec(debit, credit, amount, "HKD", flag="pending"))
                if not hold.ok:
                    continue
                pid = hold.transfer["internal_id"]
                if op == "void":
                    spec = TransferSpec(flag="void_pending", pending_id=pid)
                else:
                    part = rnd.choice([None, rnd.randint(1, amount)])
                    spec = TransferSpec(flag="post_pending", pending_id=pid, amount=part)
                out = call(spec)
                if not out.ok:  # a hold of our own, resolved once: it cannot be refused
                    anomalies.append(f"{op} of hold {pid} refused: {out.code}")
        return {"codes": codes, "anomalies": anomalies, "booked": booked, "refused": refused}

    retries: Counter[str] = Counter()  # deadlocks etc. the engine absorbed (information)
    retryable = retrying.is_retryable

    def counting(exc: Exception) -> bool:
        verdict = retryable(exc)
        retries[f"{type(exc).__name__}{'' if verdict else ' (not retried)'}"] += 1
        return verdict

    monkeypatch.setattr(retrying, "is_retryable", counting)
    started = time.monotonic()
    results = run_threads(THREADS, work)
    elapsed = time.monotonic() - started

    codes: Counter[str] = sum((r["codes"] for r in results), Counter())
    print(f"\n{THREADS}×{OPS_PER_THREAD} operations in {elapsed:.1f}s: {dict(codes)}, {retries=}")
    assert [a for r in results for a in r["anomalies"]] == []
    # only the refusals the rules call for: no IntegrityError, deadlock or serialisation
    # failure reached a caller (run_threads re-raises anything), and no other code
    assert set(codes) <= {"ok", "exceeds_credits"}, codes
    assert codes["exceeds_credits"] > 100  # the balance rule was tested, often
    assert codes["ok"] > THREADS * OPS_PER_THREAD

    # every booking and refusal is on record, once
    assert LedgerTransfer.objects.count() == MEMBERS + sum(r["booked"] for r in results)
    assert RefusedTransfer.objects.count() == sum(r["refused"] for r in results)
    assert not LedgerTransfer.objects.filter(flag="pending", pending_state="pending").exists()

    # money is conserved: what left the source is with the members or the fee account
    accounts = {a.pk: a for a in LedgerAccount.objects.all()}
    balances = {}
    for pk, a in accounts.items():
        dp, cp, dpe, cpe = services.counters(a)
        assert (dpe, cpe) == (0, 0)
        balances[pk] = cp - dp
    assert balances[source.pk] == -initial
    assert sum(balances[i] for i in ids) + balances[fees.pk] == initial
    assert sum(balances.values()) == 0
    assert balances[fees.pk] > 0
    # and no member went below zero (the CHECK constraint would have refused the write)
    assert min(balances[i] for i in ids) >= 0
    assert services.verify() == []


# -- idempotency ------------------------------------------------------------------------
@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("hot", [False, True], ids=["plain-accounts", "hot-accounts"])
def test_twenty_threads_booking_one_key_book_it_once(postgres_only, clock, monkeypatch, hot):
    # plain accounts: the threads queue on the row locks (and find the key once they have
    # them); hot accounts (FOR SHARE, shard rows): they race to the unique index on the key,
    # and the losers retry
    source = open_account(clock, "SOURCE", kind="market_summary", hot=hot)
    member = (
        open_account(clock, "SUMMARY-2", kind="market_summary", hot=True)
        if hot
        else open_account(clock, "M-ALICE", debits_must_not_exceed_credits=True)
    )
    spec = TransferSpec(source.pk, member.pk, 12_345, "HKD", idempotency_key="dep-2026-0001")
    retries: Counter[str] = Counter()
    retryable = retrying.is_retryable

    def counting(exc: Exception) -> bool:
        retries[type(exc).__name__] += 1
        return retryable(exc)

    monkeypatch.setattr(retrying, "is_retryable", counting)

    outcomes = run_threads(20, lambda _: book(clock, spec)[0])
    print(f"\nkey races retried: {dict(retries)}")

    assert all(o.ok for o in outcomes), outcomes
    assert len({o.transfer["id"] for o in outcomes}) == 1
    assert sorted(o.replayed for o in outcomes) == [False] + [True] * 19
    assert LedgerTransfer.objects.filter(idempotency_key="dep-2026-0001").count() == 1
    assert LedgerTransfer.objects.count() == 1
    assert RefusedTransfer.objects.count() == 0
    member = LedgerAccount.objects.get(pk=member.pk)
    assert services.counters(member) == (0, 12_345, 0, 0)
    assert services.verify() == []


@pytest.mark.django_db
def test_a_key_reused_for_other_content_is_a_conflict(clock):
    source = open_account(clock, "SOURCE")
    alice = open_account(clock, "M-ALICE", debits_must_not_exceed_credits=True)
    bob = open_account(clock, "M-BOB", debits_must_not_exceed_credits=True)
    [first] = book(clock, TransferSpec(source.pk, alice.pk, 500, "HKD", idempotency_key="k1"))
    assert first.ok and not first.replayed

    variants = [
        TransferSpec(source.pk, alice.pk, 501, "HKD", idempotency_key="k1"),  # amount
        TransferSpec(source.pk, bob.pk, 500, "HKD", idempotency_key="k1"),  # account
        TransferSpec(source.pk, alice.pk, 500, "HKD", idempotency_key="k1", flag="pending"),
        TransferSpec(source.pk, alice.pk, 500, "HKD", idempotency_key="k1", kind="fee"),
        TransferSpec(source.pk, alice.pk, 500, "HKD", idempotency_key="k1", metadata={"x": 1}),
    ]
    for out in book(clock, *variants):
        assert (out.ok, out.code, out.replayed) == (False, "idempotency_conflict", False)
    [again] = book(clock, TransferSpec(source.pk, alice.pk, 500, "HKD", idempotency_key="k1"))
    assert again.ok and again.replayed and again.transfer["id"] == first.transfer["id"]
    # one key twice in one call: the second is refused without touching the first
    out = book(
        clock,
        TransferSpec(source.pk, bob.pk, 7, "HKD", idempotency_key="k2"),
        TransferSpec(source.pk, bob.pk, 7, "HKD", idempotency_key="k2"),
    )
    assert [(o.ok, o.code) for o in out] == [(True, None), (False, "duplicate_in_batch")]
    assert LedgerTransfer.objects.count() == 2
    assert services.counters(LedgerAccount.objects.get(pk=alice.pk)) == (0, 500, 0, 0)
    assert services.counters(LedgerAccount.objects.get(pk=bob.pk)) == (0, 7, 0, 0)
    assert services.verify() == []


@pytest.mark.django_db
def test_a_refused_transfers_key_replays_the_refusal(clock):
    source = open_account(clock, "SOURCE")
    alice = open_account(clock, "M-ALICE", debits_must_not_exceed_credits=True)
    bob = open_account(clock, "M-BOB", debits_must_not_exceed_credits=True)
    pay = TransferSpec(alice.pk, bob.pk, 300, "HKD", idempotency_key="pay-1")
    [first] = book(clock, pay)
    assert (first.ok, first.code, first.replayed) == (False, "exceeds_credits", False)

    # Alice is funded; the same request (same key) still gets the answer it got: the key
    # names that one attempt, which was refused.  A new attempt needs a new key.
    assert book(clock, TransferSpec(source.pk, alice.pk, 1_000, "HKD"))[0].ok
    [again] = book(clock, pay)
    assert (again.ok, again.code, again.replayed) == (False, "exceeds_credits", True)
    [changed] = book(clock, TransferSpec(alice.pk, bob.pk, 299, "HKD", idempotency_key="pay-1"))
    assert changed.code == "idempotency_conflict"
    [new] = book(clock, TransferSpec(alice.pk, bob.pk, 300, "HKD", idempotency_key="pay-2"))
    assert new.ok

    assert RefusedTransfer.objects.filter(idempotency_key="pay-1").count() == 1
    # the retry is recorded as an attempt of its own, pointing at the first (the key, and
    # so the answer, stays the first's); the conflicting request is not an attempt
    first_attempt = RefusedTransfer.objects.get(idempotency_key="pay-1")
    [retry] = RefusedTransfer.objects.filter(replay_of=first_attempt)
    assert (retry.code, retry.idempotency_key, retry.request_digest) == (
        "exceeds_credits",
        None,
        pay.digest(),
    )
    assert RefusedTransfer.objects.count() == 2
    assert not LedgerTransfer.objects.filter(idempotency_key="pay-1").exists()
    assert services.counters(LedgerAccount.objects.get(pk=alice.pk)) == (300, 1_000, 0, 0)
    assert services.verify() == []


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_key_refused_while_its_twin_waited_is_not_booked_later(postgres_only, clock, monkeypatch):
    """Two copies of one request (a client's retry) race; the first is refused, money
    arrives, then the second gets its locks.  The key stands for one attempt, which was
    refused: the second copy must replay that refusal, not book the transfer."""
    source = open_account(clock, "SOURCE")
    alice = open_account(clock, "M-ALICE", debits_must_not_exceed_credits=True)
    bob = open_account(clock, "M-BOB", debits_must_not_exceed_credits=True)
    pay = TransferSpec(alice.pk, bob.pk, 300, "HKD", idempotency_key="pay-1")

    looked_up, go = threading.Event(), threading.Event()
    lookup = general.recorded_keys

    def slow_lookup(keys: list[str]) -> Any:
        found = lookup(keys)
        if threading.current_thread().name == "twin":
            looked_up.set()  # the twin has seen no booking and no refusal for the key ...
            assert go.wait(timeout=10)  # ... and is held here, before taking its locks
        return found

    monkeypatch.setattr(general, "recorded_keys", slow_lookup)
    result: list[Any] = []
    twin = threading.Thread(
        target=lambda: (result.append(book(clock, pay)[0]), connection.close()), name="twin"
    )
    twin.start()
    try:
        assert looked_up.wait(timeout=10)
        [first] = book(clock, pay)
        assert (first.ok, first.code) == (False, "exceeds_credits")
        assert book(clock, TransferSpec(source.pk, alice.pk, 1_000, "HKD"))[0].ok
    finally:
        go.set()
        twin.join(timeout=30)
    [second] = result
    assert (second.ok, second.code, second.replayed) == (False, "exceeds_credits", True)
    assert not LedgerTransfer.objects.filter(idempotency_key="pay-1").exists()
    assert services.counters(LedgerAccount.objects.get(pk=alice.pk)) == (0, 1_000, 0, 0)
    assert services.verify() == []


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_one_round_trip_booking_looks_at_the_key_again_under_its_locks(postgres_only, clock):
    """The same race inside ledger_book_one: the twin passed the key check, then waited for
    the account lock while the first copy was refused and recorded.  Once it holds the
    lock it must see that refusal (and the service replay it), not book the transfer."""
    import psycopg

    source = open_account(clock, "SOURCE")
    alice = open_account(clock, "M-ALICE", debits_must_not_exceed_credits=True)
    bob = open_account(clock, "M-BOB", debits_must_not_exceed_credits=True)
    assert book(clock, TransferSpec(source.pk, alice.pk, 1_000, "HKD"))[0].ok
    pay = TransferSpec(alice.pk, bob.pk, 300, "HKD", idempotency_key="pay-2")

    settings = connection.settings_dict
    dsn = (
        f"host={settings['HOST'] or 'localhost'} port={settings['PORT'] or 5432} "
        f"dbname={connection.settings_dict['NAME']} user={settings['USER']}"
    )
    holder = psycopg.connect(dsn)  # plays the first copy: holds ALICE, records a refusal
    holder.execute("SELECT 1 FROM ledger_account WHERE id = %s FOR UPDATE", [alice.pk])
    result: list[Any] = []
    twin = threading.Thread(
        target=lambda: (result.append(book(clock, pay)[0]), connection.close()), name="twin"
    )
    twin.start()
    try:
        for _ in range(500):  # until the twin waits for the lock inside the function
            holder.execute("SELECT pg_stat_clear_snapshot()")  # stats are per transaction
            waiting = holder.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND query LIKE %s AND datname = current_database()",  # the server is shared
                ["%ledger_book_one%"],
            ).fetchone()
            if waiting and waiting[0]:
                break
            time.sleep(0.01)
        else:
            raise AssertionError("the twin never waited for the account lock")
        holder.execute(
            "INSERT INTO ledger_refused_transfer (idempotency_key, request, code, detail, "
            "debit_account_id, credit_account_id, requested_by, request_digest, created_at) "
            "VALUES (%s, '{}', 'exceeds_credits', 'refused', %s, %s, NULL, %s, now())",
            ["pay-2", alice.pk, bob.pk, pay.digest()],
        )
        holder.commit()
    finally:
        holder.close()
        twin.join(timeout=30)
    [second] = result
    assert (second.ok, second.code, second.replayed) == (False, "exceeds_credits", True)
    assert not LedgerTransfer.objects.filter(idempotency_key="pay-2").exists()


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_deadlock_is_retried_and_never_reaches_the_caller(postgres_only, clock, monkeypatch):
    """Another transaction (say, an operator's freeze in progress) holds account B and
    then asks for A while a transfer A→B holds A and waits for B: PostgreSQL breaks the
    deadlock by aborting the transfer (it waited first, so it detects it), the engine
    retries, and the transfer books once the other transaction is done."""
    a = open_account(clock, "ACC-A")
    b = open_account(clock, "ACC-B")
    assert a.pk < b.pk  # the engine locks A first
    retried: Counter[str] = Counter()
    retryable = retrying.is_retryable

    def counting(exc: Exception) -> bool:
        sqlstate = getattr(getattr(exc, "__cause__", None), "sqlstate", None)
        retried[str(sqlstate)] += 1
        return retryable(exc)

    monkeypatch.setattr(retrying, "is_retryable", counting)
    holding_b = threading.Event()
    errors: list[str] = []

    def other() -> None:
        try:
            with transaction.atomic(), connection.cursor() as cur:
                cur.execute("SELECT id FROM ledger_account WHERE id = %s FOR UPDATE", [b.pk])
                holding_b.set()
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline:  # until the transfer waits for B
                    cur.execute(  # this database's waiters only: the server is shared
                        "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a "
                        "ON a.pid = l.pid WHERE NOT l.granted AND a.datname = current_database()"
                    )
                    if cur.fetchone()[0]:
                        break
                    time.sleep(0.01)
                cur.execute("SELECT id FROM ledger_account WHERE id = %s FOR UPDATE", [a.pk])
        except BaseException:
            errors.append(traceback.format_exc())
        finally:
            holding_b.set()
            connection.close()

    t = threading.Thread(target=other, daemon=True)
    t.start()
    assert holding_b.wait(timeout=10)
    [out] = book(clock, TransferSpec(a.pk, b.pk, 700, "HKD"))
    t.join(timeout=30)
    assert errors == [], errors  # the other transaction was not the one aborted
    assert out.ok, out
    assert retried["40P01"] >= 1  # a deadlock happened, and was absorbed
    assert LedgerTransfer.objects.count() == 1
    assert services.counters(LedgerAccount.objects.get(pk=b.pk)) == (0, 700, 0, 0)
    assert services.verify() == []
