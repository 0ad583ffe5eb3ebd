"""The ledger's facade as another module uses it: inside the module's own transaction,
typed in and out, refusals as DomainErrors — and a refusal takes the module's other
writes down with it.

``custody_fee_charge`` below stands for a business module's service: it writes its own
record (an audit row) and books the fee through the facade, in one transaction.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import traceback
from typing import Any
from uuid import uuid4

import pytest
from django.db import OperationalError, connection, transaction

from custodesk.audit.models import AuditEntry
from custodesk.audit.services import record
from custodesk.core import clock as clock_mod
from custodesk.core.errors import IllegalTransition
from custodesk.core.money import Money
from custodesk.ledger import facade
from custodesk.ledger.models import LedgerAccount, LedgerTransfer, RefusedTransfer
from custodesk.ledger.tests.factories import AccountFactory, MemberSubAccountFactory

pytestmark = pytest.mark.django_db(transaction=True)


def hkd(minor: int) -> Money:
    return Money(minor, "HKD")


def when() -> dict[str, Any]:
    return {"now": clock_mod.now(), "business_date": clock_mod.business_date()}


@transaction.atomic(durable=True)
def custody_fee_charge(
    *,
    actor: Any,
    member_account_id: int,
    fee_account_id: int,
    amount: Money,
    reference: str,
    now: dt.datetime,
    business_date: dt.date,
) -> facade.Transfer:
    """A module's use case: its own record and the booking, one transaction."""
    record(
        actor=actor,
        action="testing.custody_fee",
        object_type="custody_fee",
        object_id=reference,
        after={"amount": str(amount.to_decimal()), "currency": amount.currency},
        now=now,
    )
    return facade.transfer(
        actor=actor,
        debit_account_id=member_account_id,
        credit_account_id=fee_account_id,
        amount=amount,
        kind="custody_fee",
        metadata={"reference": reference},
        now=now,
        business_date=business_date,
    )


@pytest.fixture
def accounts(admin: Any) -> dict[str, facade.Account]:
    summary = AccountFactory(code="SUM", kind=facade.AccountKind.MARKET_SUMMARY, hot=True)
    member = MemberSubAccountFactory(code="M-1")
    fees = AccountFactory(code="FEES", kind=facade.AccountKind.FEE)
    facade.transfer(
        actor=admin,
        debit_account_id=summary.id,
        credit_account_id=member.id,
        amount=hkd(5_000),
        kind="deposit",
        **when(),
    )
    return {"summary": summary, "member": member, "fees": fees}


def test_a_use_case_books_through_the_facade_in_its_own_transaction(admin, accounts):
    member, fees = accounts["member"], accounts["fees"]
    t = custody_fee_charge(
        actor=admin,
        member_account_id=member.id,
        fee_account_id=fees.id,
        amount=hkd(1_250),
        reference="FEE-1",
        **when(),
    )
    assert (t.debit_account, t.credit_account, t.amount) == ("M-1", "FEES", hkd(1_250))
    assert t.kind == "custody_fee" and t.metadata == {"reference": "FEE-1"} and not t.replayed
    assert AuditEntry.objects.filter(action="testing.custody_fee", object_id="FEE-1").exists()
    b = facade.balances(actor=admin, account_id=member.id)
    assert (b.posted, b.available, b.frozen) == (hkd(3_750), hkd(3_750), hkd(0))
    assert LedgerTransfer.objects.get(public_id=t.id).requested_by == admin.pk


def test_a_refusal_rolls_back_the_whole_use_case(admin, accounts):
    member, fees = accounts["member"], accounts["fees"]
    with pytest.raises(facade.ExceedsCredits):
        custody_fee_charge(
            actor=admin,
            member_account_id=member.id,
            fee_account_id=fees.id,
            amount=hkd(5_001),  # 0.01 more than the member has
            reference="FEE-2",
            **when(),
        )
    # the module's own record went with it, and so did the refused attempt's record
    assert not AuditEntry.objects.filter(action="testing.custody_fee").exists()
    assert not LedgerTransfer.objects.filter(kind="custody_fee").exists()
    assert not RefusedTransfer.objects.exists()
    assert facade.balances(actor=admin, account_id=member.id).posted == hkd(5_000)


def test_outside_a_transaction_a_refusal_is_recorded_then_raised(admin, accounts):
    with pytest.raises(facade.ExceedsCredits):
        facade.transfer(
            actor=admin,
            debit_account_id=accounts["member"].id,
            credit_account_id=accounts["fees"].id,
            amount=hkd(9_999),
            **when(),
        )
    refused = RefusedTransfer.objects.get()
    assert (refused.code, refused.requested_by) == ("exceeds_credits", admin.pk)


def test_an_account_opened_in_the_callers_transaction_rolls_back_with_it(admin, clock):
    failed = pytest.raises(RuntimeError, match="the module's next step failed")
    with failed, transaction.atomic(durable=True):
        opened = facade.open_account(
            actor=admin,
            code="M-NEW",
            kind="member_sub",
            currency="HKD",
            owner=facade.Owner("custody.member", "42", admin.organisation_id),
            rule=facade.BalanceRule.DEBITS_MUST_NOT_EXCEED_CREDITS,
            now=clock.now(),
        )
        assert opened.code == "M-NEW" and opened.owner.id == "42"
        raise RuntimeError("the module's next step failed")
    assert not LedgerAccount.objects.filter(code="M-NEW").exists()
    assert not AuditEntry.objects.filter(action="ledger.account_open").exists()
    # on its own it is its own transaction (and audited as the actor)
    kept = facade.open_account(
        actor=admin, code="M-NEW", kind="member_sub", currency="HKD", now=clock.now()
    )
    assert facade.account(actor=admin, code="M-NEW") == kept
    entry = AuditEntry.objects.get(action="ledger.account_open")
    assert entry.actor_username == "admin"


def test_holds_posted_in_part_voided_and_refused_once_resolved(admin, accounts):
    member, summary = accounts["member"], accounts["summary"]
    held = facade.hold(
        actor=admin,
        debit_account_id=member.id,
        credit_account_id=summary.id,
        amount=hkd(3_000),
        timeout_seconds=3600,
        kind="withdrawal",
        **when(),
    )
    assert (held.flag, held.pending_state) == ("pending", "pending")
    b = facade.balances(actor=admin, account_id=member.id)
    assert (b.posted, b.pending_debits, b.available) == (hkd(5_000), hkd(3_000), hkd(2_000))
    with pytest.raises(facade.CurrencyMismatch):
        facade.post_hold(actor=admin, hold_id=held.id, amount=Money(1_000, "USD"), **when())
    with pytest.raises(facade.PostExceedsPending):
        facade.post_hold(actor=admin, hold_id=held.id, amount=hkd(3_001), **when())
    posted = facade.post_hold(actor=admin, hold_id=held.id, amount=hkd(1_000), **when())
    assert (posted.flag, posted.hold_id, posted.amount) == ("post_pending", held.id, hkd(1_000))
    b = facade.balances(actor=admin, account_id=member.id)
    assert (b.posted, b.pending_debits, b.available) == (hkd(4_000), hkd(0), hkd(4_000))
    with pytest.raises(facade.PendingAlreadyResolved):
        facade.void_hold(actor=admin, hold_id=held.id, **when())
    with pytest.raises(facade.PendingNotFound):
        facade.void_hold(actor=admin, hold_id=uuid4(), **when())
    second = facade.hold(
        actor=admin,
        debit_account_id=member.id,
        credit_account_id=summary.id,
        amount=hkd(500),
        **when(),
    )
    voided = facade.void_hold(actor=admin, hold_id=second.id, **when())
    assert voided.flag == "void_pending"
    assert facade.balances(actor=admin, account_id=member.id).available == hkd(4_000)


def test_freezes_placed_and_released_through_the_facade(admin, accounts, clock):
    member, fees = accounts["member"], accounts["fees"]
    with pytest.raises(facade.CurrencyMismatch):
        facade.freeze(
            actor=admin,
            account_id=member.id,
            kind=facade.FreezeKind.AMOUNT,
            amount=Money(1, "USD"),
            reason_code="COURT",
            now=clock.now(),
        )
    amount = facade.freeze(
        actor=admin,
        account_id=member.id,
        kind=facade.FreezeKind.AMOUNT,
        amount=hkd(1_500),
        reason_code="COURT",
        legal_reference="HCMP 9/2026",
        now=clock.now(),
    )
    debit = facade.freeze(
        actor=admin, account_id=member.id, kind="debit", reason_code="AML", now=clock.now()
    )
    b = facade.balances(actor=admin, account_id=member.id)
    assert (b.frozen, b.available, b.debit_frozen, b.credit_frozen) == (
        hkd(1_500),
        hkd(3_500),
        True,
        False,
    )
    with pytest.raises(facade.AccountDebitFrozen):
        facade.transfer(
            actor=admin,
            debit_account_id=member.id,
            credit_account_id=fees.id,
            amount=hkd(1),
            **when(),
        )
    released = facade.release_freeze(
        actor=admin, freeze_id=debit.id, reason="cleared", now=clock.now()
    )
    assert released.released_at == clock.now() and released.amount is None
    with pytest.raises(IllegalTransition):
        facade.release_freeze(actor=admin, freeze_id=debit.id, reason="again", now=clock.now())
    assert amount.amount == hkd(1_500)
    assert facade.balances(actor=admin, account_id=member.id).debit_frozen is False


def test_an_idempotency_key_replays_the_first_transfer(admin, accounts):
    member, fees = accounts["member"], accounts["fees"]
    ask = {
        "actor": admin,
        "debit_account_id": member.id,
        "credit_account_id": fees.id,
        "amount": hkd(100),
        "idempotency_key": "fee-2026-11",
    }
    first = facade.transfer(**ask, **when())
    again = facade.transfer(**ask, **when())
    assert (again.id, again.replayed, first.replayed) == (first.id, True, False)
    with pytest.raises(facade.IdempotencyConflict):
        facade.transfer(**{**ask, "amount": hkd(101)}, **when())
    assert facade.balances(actor=admin, account_id=member.id).posted == hkd(4_900)


def test_statement_lines_are_money_in_the_accounts_currency(admin, accounts, clock):
    member, fees = accounts["member"], accounts["fees"]
    facade.transfer(
        actor=admin,
        debit_account_id=member.id,
        credit_account_id=fees.id,
        amount=hkd(250),
        kind="fee",
        **when(),
    )
    day = clock.business_date()
    st = facade.statement(actor=admin, account_id=member.id, date_from=day, date_to=day)
    assert (st.opening, st.closing) == (hkd(0), hkd(4_750))
    assert [(ln.kind, ln.credit, ln.debit, ln.balance) for ln in st.lines] == [
        ("deposit", hkd(5_000), hkd(0), hkd(5_000)),
        ("fee", hkd(0), hkd(250), hkd(4_750)),
    ]
    with pytest.raises(facade.ValidationFailed):
        facade.statement(
            actor=admin, account_id=member.id, date_from=day, date_to=day - dt.timedelta(1)
        )


# -- no retry loop inside the caller's transaction ---------------------------------------
@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("a deadlock needs row locks (SQLite serialises writers)")


@pytest.mark.postgres_only
def test_a_deadlock_inside_the_callers_transaction_reaches_the_caller_at_once(postgres_only, admin):
    """The caller's use case holds B and C (its first booking) and then books A→B while
    another transaction holds A and waits for C.  PostgreSQL aborts the booking's
    statement; the ledger does not retry it inside the caller's transaction (it would
    wait for A again while still holding C: the same deadlock, eight times over) — the
    error reaches the caller, whose transaction rolls back, and the caller's retry of the
    whole use case books."""
    a, b, c = (AccountFactory(code=code) for code in ("D-A", "D-B", "D-C"))
    assert a.id < b.id < c.id
    caller_holds_c = threading.Event()
    other_holds_a = threading.Event()
    errors: list[str] = []

    def other() -> None:
        try:
            assert caller_holds_c.wait(timeout=10)
            with transaction.atomic(), connection.cursor() as cur:
                cur.execute("SET LOCAL deadlock_timeout = '20s'")  # the caller detects it
                cur.execute("SELECT id FROM ledger_account WHERE id = %s FOR UPDATE", [a.id])
                other_holds_a.set()
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline:  # until the caller waits for A
                    cur.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
                    if cur.fetchone()[0]:
                        break
                    time.sleep(0.01)
                cur.execute("SELECT id FROM ledger_account WHERE id = %s FOR UPDATE", [c.id])
        except BaseException:
            errors.append(traceback.format_exc())
        finally:
            other_holds_a.set()
            connection.close()

    rollbacks: list[str] = []

    def count_savepoint_rollbacks(execute: Any, sql: str, *args: Any) -> Any:
        if sql.startswith("ROLLBACK TO SAVEPOINT"):
            rollbacks.append(sql)
        return execute(sql, *args)

    def use_case(signal: bool) -> None:
        with transaction.atomic(durable=True):
            facade.transfer(
                actor=admin, debit_account_id=b.id, credit_account_id=c.id, amount=hkd(1),
                **when(),
            )  # fmt: skip
            if signal:
                caller_holds_c.set()
                assert other_holds_a.wait(timeout=10)
            facade.transfer(
                actor=admin, debit_account_id=a.id, credit_account_id=b.id, amount=hkd(2),
                **when(),
            )  # fmt: skip

    t = threading.Thread(target=other, daemon=True)
    t.start()
    with (
        connection.execute_wrapper(count_savepoint_rollbacks),
        pytest.raises(OperationalError) as caught,
    ):
        use_case(signal=True)
    t.join(timeout=30)
    assert errors == [], errors  # the other transaction was not the one aborted
    assert getattr(caught.value.__cause__, "sqlstate", None) == "40P01"
    assert len(rollbacks) == 1  # one attempt: the booking's savepoint, not retried
    assert not LedgerTransfer.objects.exists()  # the caller's first booking rolled back too
    use_case(signal=False)  # the caller retries its whole use case
    assert LedgerTransfer.objects.count() == 2
