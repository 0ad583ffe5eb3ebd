"""Sealing transfers into hash checkpoints while other transactions are still booking.

Transfer ids come from a sequence when the row is inserted, but rows become visible when
their transaction commits: a transfer can commit *after* one with a higher id.  A seal
that chained only what it could see would skip it, and ``ledger verify`` would later
report the checkpoint as tampered with.  The seal therefore waits (on PostgreSQL) for
the transactions that were writing transfers when it looked, and never blocks bookings
while it waits.  SQLite serialises writers, so nothing can be in flight there.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, transaction

from custodesk.ledger import errors, services
from custodesk.ledger.models import LedgerAccount, LedgerTransfer, TransferSeal
from custodesk.ledger.services import TransferSpec


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("transactions in flight need PostgreSQL (SQLite serialises writers)")


def open_account(clock, code: str) -> LedgerAccount:
    return services.account_open(
        actor=None, code=code, kind="member_sub", currency="HKD", now=clock.now()
    )


def book(clock, spec: TransferSpec) -> int:
    [outcome] = services.book([spec], now=clock.now(), business_date=clock.business_date())
    assert outcome.ok, outcome
    return int(outcome.transfer["internal_id"])


class SlowBooking:
    """A transfer booked in a thread whose transaction stays open until ``commit()``."""

    def __init__(self, clock, spec: TransferSpec) -> None:
        self.booked, self.go = threading.Event(), threading.Event()
        self.transfer_id: int | None = None
        self.errors: list[BaseException] = []
        self.thread = threading.Thread(target=self._run, args=(clock, spec), daemon=True)
        self.thread.start()
        assert self.booked.wait(timeout=10), self.errors

    def _run(self, clock, spec: TransferSpec) -> None:
        try:
            with transaction.atomic():
                self.transfer_id = book(clock, spec)
                self.booked.set()
                assert self.go.wait(timeout=20)
        except BaseException as exc:  # reaches the test through ``errors``
            self.errors.append(exc)
            self.booked.set()
        finally:
            connection.close()

    def commit(self) -> None:
        self.go.set()
        self.thread.join(timeout=20)
        assert not self.thread.is_alive() and self.errors == []


def in_thread(fn: Any) -> tuple[threading.Thread, list[Any]]:
    out: list[Any] = []

    def run() -> None:
        try:
            out.append(fn())
        except BaseException as exc:
            out.append(exc)
        finally:
            connection.close()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, out


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_transfer_that_commits_after_a_later_one_is_sealed_not_skipped(postgres_only, clock):
    a, b, c, d = (open_account(clock, code) for code in ("A", "B", "C", "D"))
    slow = SlowBooking(clock, TransferSpec(a.pk, b.pk, 100, "HKD"))  # id n, still in flight
    later = book(clock, TransferSpec(c.pk, d.pk, 250, "HKD"))  # id n + 1, committed
    assert slow.transfer_id is not None and later > slow.transfer_id

    sealer, result = in_thread(lambda: services.seal(now=clock.now()))
    sealer.join(timeout=0.5)
    assert sealer.is_alive(), "the seal must wait for the transfer still in flight"
    # ... without holding anyone up: bookings go on while it waits
    book(clock, TransferSpec(d.pk, c.pk, 50, "HKD"))

    slow.commit()
    sealer.join(timeout=20)
    [seal] = result
    assert isinstance(seal, TransferSeal), seal
    assert (seal.from_id, seal.to_id, seal.count) == (0, later, 2)
    # the transfer booked while the seal waited is for the next one
    nxt = services.seal(now=clock.now())
    assert nxt is not None and (nxt.from_id, nxt.count) == (later, 1)
    assert services.verify() == []


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_seal_that_cannot_wait_long_enough_seals_nothing(postgres_only, clock):
    a, b, c, d = (open_account(clock, code) for code in ("A", "B", "C", "D"))
    slow = SlowBooking(clock, TransferSpec(a.pk, b.pk, 100, "HKD"))
    try:
        book(clock, TransferSpec(c.pk, d.pk, 250, "HKD"))
        with pytest.raises(errors.SealDeferred) as exc:
            services.seal(now=clock.now(), wait_seconds=0.2)
        assert "1 transaction" in str(exc.value)
        assert not TransferSeal.objects.exists()
    finally:
        slow.commit()
    seal = services.seal(now=clock.now(), wait_seconds=0.2)
    assert seal is not None and seal.count == 2
    assert services.verify() == []


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_an_open_reader_or_a_lock_on_accounts_does_not_delay_the_seal(postgres_only, clock):
    a, b = open_account(clock, "A"), open_account(clock, "B")
    book(clock, TransferSpec(a.pk, b.pk, 100, "HKD"))
    reading, go = threading.Event(), threading.Event()
    errors_: list[BaseException] = []

    def reader() -> None:
        try:
            with transaction.atomic():
                list(LedgerTransfer.objects.all())  # a statement export, say
                LedgerAccount.objects.select_for_update().get(pk=a.pk)  # a freeze, say
                reading.set()
                assert go.wait(timeout=20)
        except BaseException as exc:
            errors_.append(exc)
        finally:
            reading.set()
            connection.close()

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    try:
        assert reading.wait(timeout=10)
        assert errors_ == []
        seal = services.seal(now=clock.now(), wait_seconds=0.5)
        assert seal is not None and seal.count == 1
    finally:
        go.set()
        t.join(timeout=20)
    assert errors_ == []
    assert services.verify() == []


@pytest.mark.django_db
def test_seals_chain_on_from_the_last_checkpoint(clock):
    a, b = open_account(clock, "A"), open_account(clock, "B")
    first_id = book(clock, TransferSpec(a.pk, b.pk, 100, "HKD"))
    first = services.seal(now=clock.now())
    assert first is not None and (first.from_id, first.to_id, first.count) == (0, first_id, 1)
    assert services.seal(now=clock.now()) is None  # nothing new

    book(clock, TransferSpec(b.pk, a.pk, 40, "HKD"))
    last_id = book(clock, TransferSpec(b.pk, a.pk, 10, "HKD"))
    second = services.seal(now=clock.now())
    assert second is not None
    assert (second.from_id, second.to_id, second.count) == (first_id, last_id, 2)
    assert second.prev_digest == first.digest != second.digest
    assert services.verify() == []


@pytest.mark.django_db
def test_min_age_leaves_the_newest_transfers_for_the_next_seal(clock):
    a, b = open_account(clock, "A"), open_account(clock, "B")
    old = book(clock, TransferSpec(a.pk, b.pk, 100, "HKD"))
    clock.advance(seconds=30)
    book(clock, TransferSpec(b.pk, a.pk, 40, "HKD"))
    seal = services.seal(now=clock.now(), min_age_seconds=10)
    assert seal is not None and (seal.to_id, seal.count) == (old, 1)
    clock.advance(seconds=30)
    seal = services.seal(now=clock.now(), min_age_seconds=10)
    assert seal is not None and seal.count == 1
    assert services.verify() == []
