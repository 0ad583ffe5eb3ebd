"""The guards the database itself enforces, tested with raw SQL around the ORM and engine.

The booking engine checks every rule in memory first; these constraints are the
backstop for a bug in it, or for anyone writing to the tables by other means.
Each statement runs in its own savepoint (``atomic``) so a refused one leaves
the test's transaction usable on PostgreSQL.  Every refusal is paired with a
statement that only differs in the guarded value and is accepted, so the
refusal is shown to come from that guard and not from a malformed statement.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from custodesk.core.guards import guards_lifted
from custodesk.ledger import services
from custodesk.ledger.models import LedgerAccount, LedgerTransfer
from custodesk.ledger.services import TransferSpec

pytestmark = pytest.mark.django_db


@pytest.fixture
def accts(clock):
    def open_(code: str, currency: str = "HKD", **kw: Any) -> LedgerAccount:
        return services.account_open(
            actor=None,
            code=code,
            kind=kw.pop("kind", "member_sub"),
            currency=currency,
            now=clock.now(),
            **kw,
        )

    return {
        "summary": open_("SUM-HKD", kind="market_summary", hot=True),
        "alice": open_("M-ALICE", debits_must_not_exceed_credits=True),
        "bob": open_("M-BOB", debits_must_not_exceed_credits=True),
        "bank": open_("BANK-HKD", kind="bank_clearing", credits_must_not_exceed_debits=True),
        "usd_src": open_("SRC-USD", "USD"),
        "usd_dst": open_("DST-USD", "USD"),
    }


def book(clock, *specs: TransferSpec) -> list[services.Outcome]:
    return services.book(list(specs), now=clock.now(), business_date=clock.business_date())


def sql(statement: str, params: list[Any] | tuple[Any, ...] = ()) -> int:
    with connection.cursor() as cur:
        cur.execute(statement, list(params))
        return cur.rowcount


def refused(statement: str, params: list[Any] | tuple[Any, ...] = ()) -> None:
    """The database refuses the statement (and the test's transaction stays usable)."""
    with pytest.raises(IntegrityError), transaction.atomic():
        sql(statement, params)


def refused_by_trigger(statement: str, params: list[Any] | tuple[Any, ...] = ()) -> str:
    """A trigger refuses the statement (SQLite: a constraint error; PostgreSQL:
    insufficient_privilege); the message is returned."""
    with pytest.raises(DatabaseError) as caught, transaction.atomic():
        sql(statement, params)
    return str(caught.value)


def accepted(statement: str, params: list[Any] | tuple[Any, ...] = ()) -> None:
    """The database accepts the statement; it is rolled back at once."""
    with transaction.atomic():
        assert sql(statement, params) == 1
        transaction.set_rollback(True)


_COLS = (
    "public_id, idempotency_key, debit_account_id, credit_account_id, amount, currency, flag, "
    "pending_id, pending_state, timeout_at, kind, business_date, group_id, metadata, "
    "requested_by, request_digest, created_at"
)


def insert_transfer(clock, debit: int, credit: int, **over: Any) -> tuple[str, list[Any]]:
    """A raw INSERT of a ledger_transfer row (the ORM and the engine are not involved)."""
    ops = connection.ops
    public_id = LedgerTransfer._meta.get_field("public_id").get_db_prep_value(
        uuid.uuid4(), connection
    )
    row = {
        "public_id": public_id,
        "idempotency_key": None,
        "debit_account_id": debit,
        "credit_account_id": credit,
        "amount": 100,
        "currency": "HKD",
        "flag": "posted",
        "pending_id": None,
        "pending_state": "",
        "timeout_at": None,
        "kind": "raw",
        "business_date": ops.adapt_datefield_value(clock.business_date()),
        "group_id": "",
        "metadata": json.dumps({}),
        "requested_by": None,
        "request_digest": "",
        "created_at": ops.adapt_datetimefield_value(clock.now()),
    } | over
    cols = [c.strip() for c in _COLS.split(",")]
    statement = (
        f"INSERT INTO ledger_transfer ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))})"
    )
    return statement, [row[c] for c in cols]


# -- ledger_transfer ----------------------------------------------------------------------
def test_transfer_amount_must_be_positive(accts, clock):
    a, b = accts["summary"].pk, accts["alice"].pk
    accepted(*insert_transfer(clock, a, b, amount=1))
    refused(*insert_transfer(clock, a, b, amount=0))
    refused(*insert_transfer(clock, a, b, amount=-5))
    assert LedgerTransfer.objects.count() == 0


def test_transfer_debit_and_credit_accounts_must_differ(accts, clock):
    a, b = accts["summary"].pk, accts["alice"].pk
    accepted(*insert_transfer(clock, a, b))
    refused(*insert_transfer(clock, b, b))


@pytest.mark.ledger_tampered  # rows written around the engine
def test_only_post_and_void_rows_name_a_hold(accts, clock):
    """``pending_id`` is set exactly on the rows that resolve a hold."""
    a, b = accts["summary"].pk, accts["alice"].pk
    sql(*insert_transfer(clock, a, b, flag="pending", pending_state="pending"))
    hold = LedgerTransfer.objects.get().pk
    accepted(*insert_transfer(clock, a, b, flag="void_pending", pending_id=hold))
    refused(*insert_transfer(clock, a, b, flag="void_pending"))  # resolves nothing
    refused(*insert_transfer(clock, a, b, flag="post_pending"))
    refused(*insert_transfer(clock, a, b, flag="posted", pending_id=hold))
    refused(*insert_transfer(clock, a, b, flag="pending", pending_id=hold))


@pytest.mark.ledger_tampered  # rows written around the engine
def test_idempotency_keys_are_unique(accts, clock):
    a, b = accts["summary"].pk, accts["alice"].pk
    sql(*insert_transfer(clock, a, b, idempotency_key="dep-1"))
    refused(*insert_transfer(clock, a, b, idempotency_key="dep-1"))
    accepted(*insert_transfer(clock, a, b, idempotency_key="dep-2"))
    # many rows may have no key at all
    sql(*insert_transfer(clock, a, b))
    sql(*insert_transfer(clock, a, b))
    assert LedgerTransfer.objects.filter(idempotency_key="dep-1").count() == 1
    # the refused attempts' keys are unique too (a refusal is replayed, never recorded twice)
    statement = (
        "INSERT INTO ledger_refused_transfer (idempotency_key, request, code, detail, "
        "request_digest, created_at) VALUES (%s, %s, %s, %s, %s, %s)"
    )
    now = connection.ops.adapt_datetimefield_value(clock.now())
    sql(statement, ["ref-1", "{}", "exceeds_credits", "", "", now])
    refused(statement, ["ref-1", "{}", "exceeds_credits", "", "", now])


def test_a_hold_is_resolved_once(accts, clock):
    summary, alice = accts["summary"], accts["alice"]
    book(clock, TransferSpec(summary.pk, alice.pk, 1_000, "HKD"))
    [hold] = book(clock, TransferSpec(alice.pk, summary.pk, 400, "HKD", flag="pending"))
    [post] = book(clock, TransferSpec(flag="post_pending", pending_id=hold.transfer["internal_id"]))
    assert post.ok
    pid = hold.transfer["internal_id"]
    # a second post or a void of the same hold, written around the engine
    refused(*insert_transfer(clock, alice.pk, summary.pk, flag="post_pending", pending_id=pid))
    refused(*insert_transfer(clock, alice.pk, summary.pk, flag="void_pending", pending_id=pid))
    [hold2] = book(clock, TransferSpec(alice.pk, summary.pk, 1, "HKD", flag="pending"))
    accepted(
        *insert_transfer(
            clock,
            alice.pk,
            summary.pk,
            flag="void_pending",
            pending_id=hold2.transfer["internal_id"],
        )
    )


# -- ledger_account -------------------------------------------------------------------------
COUNTERS = [
    "debits_posted",
    "credits_posted",
    "debits_pending",
    "credits_pending",
    "debit_blocks",
    "credit_blocks",
    "frozen_amount",
]


@pytest.mark.parametrize("column", COUNTERS)
def test_account_counters_cannot_go_negative(accts, column):
    pk = accts["usd_src"].pk  # no balance rule: only the sign guard applies
    accepted(f"UPDATE ledger_account SET {column} = 0 WHERE id = %s", [pk])
    refused(f"UPDATE ledger_account SET {column} = -1 WHERE id = %s", [pk])
    # the hot account's own row too
    refused(f"UPDATE ledger_account SET {column} = -1 WHERE id = %s", [accts["summary"].pk])


def test_debits_must_not_exceed_credits_is_enforced(accts, clock):
    summary, alice = accts["summary"], accts["alice"]
    book(clock, TransferSpec(summary.pk, alice.pk, 1_000, "HKD"))
    assert services.counters(LedgerAccount.objects.get(pk=alice.pk)) == (0, 1_000, 0, 0)
    update = "UPDATE ledger_account SET {} WHERE id = %s"
    # posted debits, pending debits and amount freezes all count against the credits
    accepted(update.format("debits_posted = 1000"), [alice.pk])
    refused(update.format("debits_posted = 1001"), [alice.pk])
    accepted(update.format("debits_posted = 600, debits_pending = 400"), [alice.pk])
    refused(update.format("debits_posted = 600, debits_pending = 401"), [alice.pk])
    accepted(update.format("debits_pending = 300, frozen_amount = 700"), [alice.pk])
    refused(update.format("debits_pending = 300, frozen_amount = 701"), [alice.pk])
    # taking the credits away is the same breach seen from the other side
    refused(update.format("credits_posted = 999, debits_posted = 1000"), [alice.pk])
    # the same numbers on an account without the rule are fine
    accepted(update.format("debits_posted = 1001"), [accts["usd_src"].pk])


def test_credits_must_not_exceed_debits_is_enforced(accts):
    bank = accts["bank"].pk
    update = "UPDATE ledger_account SET {} WHERE id = %s"
    accepted(update.format("debits_posted = 50, credits_posted = 50"), [bank])
    refused(update.format("debits_posted = 50, credits_posted = 51"), [bank])
    refused(update.format("debits_posted = 50, credits_posted = 40, credits_pending = 11"), [bank])


def test_balance_flags_are_exclusive_and_hot_accounts_have_none(accts):
    update = "UPDATE ledger_account SET {} = %s WHERE id = %s"
    alice, hot = accts["alice"].pk, accts["summary"].pk
    refused(update.format("credits_must_not_exceed_debits"), [True, alice])
    accepted(update.format("hot"), [False, hot])
    refused(update.format("debits_must_not_exceed_credits"), [True, hot])
    refused(update.format("credits_must_not_exceed_debits"), [True, hot])
    # and a flagged account cannot be turned hot
    refused(update.format("hot"), [True, alice])
    accepted(update.format("hot"), [True, accts["usd_src"].pk])


def test_currency_is_an_iso_code(accts):
    pk = accts["usd_src"].pk
    accepted("UPDATE ledger_account SET currency = %s WHERE id = %s", ["EUR", pk])
    for bad in ("usd", "US", "U5D", ""):  # (too long is refused by the column's length)
        refused("UPDATE ledger_account SET currency = %s WHERE id = %s", [bad, pk])


@pytest.fixture
def two_freezes(accts, clock):
    place = services.freeze_place
    account = accts["usd_src"].pk
    amount = place(
        actor=None, account_id=account, kind="amount", amount=10, reason_code="C", now=clock.now()
    )
    debit = place(actor=None, account_id=account, kind="debit", reason_code="C", now=clock.now())
    return amount, debit


def test_only_amount_freezes_carry_an_amount(two_freezes):
    amount, debit = two_freezes
    update = "UPDATE ledger_freeze SET amount = %s WHERE id = %s"
    accepted(update, [1, amount.pk])
    refused(update, [0, amount.pk])
    refused(update, [-3, amount.pk])
    refused(update, [5, debit.pk])


def test_an_amount_freeze_needs_an_amount(two_freezes):
    # (kind='amount' AND amount > 0) is NULL, not false, when the amount is NULL, and a
    # CHECK passes on NULL: the constraint has to say "amount IS NOT NULL" as well
    amount, _ = two_freezes
    refused("UPDATE ledger_freeze SET amount = NULL WHERE id = %s", [amount.pk])


# -- amounts the BIGINT columns cannot hold -------------------------------------------------
BIGINT_MAX = 2**63 - 1


def test_an_amount_the_ledger_cannot_hold_is_refused_not_a_crash(accts, clock):
    """Such an amount used to escape as OverflowError (SQLite) / DataError (PostgreSQL),
    losing the whole batch; and one that fits but overflows a counter turned the counter
    into a float on SQLite (9.223372036854776e+18, after which verify() itself crashed)."""
    src, dst = accts["usd_src"], accts["usd_dst"]
    outs = book(
        clock,
        TransferSpec(src.pk, dst.pk, 5, "USD"),
        TransferSpec(src.pk, dst.pk, BIGINT_MAX + 1, "USD"),  # no column can hold it
        TransferSpec(src.pk, dst.pk, BIGINT_MAX, "USD"),  # fits, but DST's credits overflow
        TransferSpec(src.pk, dst.pk, BIGINT_MAX, "USD", flag="pending"),  # pending too
        TransferSpec(src.pk, dst.pk, 7, "USD"),
    )
    assert [o.code for o in outs] == [
        None,
        "invalid_amount",
        "invalid_amount",
        "invalid_amount",
        None,
    ]
    assert services.counters(LedgerAccount.objects.get(pk=dst.pk)) == (0, 12, 0, 0)
    assert services.counters(LedgerAccount.objects.get(pk=src.pk)) == (12, 0, 0, 0)

    # the largest amount itself is fine between two empty accounts, and a hold of it posts
    a = services.account_open(
        actor=None, code="BIG-A", kind="other", currency="USD", now=clock.now()
    )
    b = services.account_open(
        actor=None, code="BIG-B", kind="other", currency="USD", now=clock.now()
    )
    [hold] = book(clock, TransferSpec(a.pk, b.pk, BIGINT_MAX, "USD", flag="pending"))
    assert hold.ok
    pid = hold.transfer["internal_id"]
    [over] = book(clock, TransferSpec(flag="post_pending", pending_id=pid, amount=2**64))
    assert over.code == "post_exceeds_pending"
    [post] = book(clock, TransferSpec(flag="post_pending", pending_id=pid))
    assert post.ok
    assert services.counters(LedgerAccount.objects.get(pk=b.pk)) == (0, BIGINT_MAX, 0, 0)
    [one_more] = book(clock, TransferSpec(a.pk, b.pk, 1, "USD"))
    assert one_more.code == "invalid_amount"
    assert services.verify() == []


# -- verify names what was tampered with ----------------------------------------------------
@pytest.mark.ledger_tampered  # rows written around the engine
def test_verify_names_a_tampered_counter_and_the_currency_imbalance(accts, clock):
    summary, alice, bob = accts["summary"], accts["alice"], accts["bob"]
    src, dst = accts["usd_src"], accts["usd_dst"]
    book(
        clock,
        TransferSpec(summary.pk, alice.pk, 1_000, "HKD"),
        TransferSpec(alice.pk, bob.pk, 250, "HKD"),
        TransferSpec(src.pk, dst.pk, 70, "USD"),
    )
    assert services.verify() == []

    # someone adds one cent of credit to Alice's account with an UPDATE
    assert sql(
        "UPDATE ledger_account SET credits_posted = credits_posted + 1 WHERE id = %s", [alice.pk]
    )
    problems = [str(v) for v in services.verify()]
    assert problems == [
        "counters: account M-ALICE: counters [250, 1001, 0, 0] ≠ transfers [250, 1000, 0, 0]",
        "balance: HKD: Σ posted debits 1250 ≠ credits 1251",
    ]
    # the other accounts and the USD ledger are not blamed
    assert not any("M-BOB" in p or "SUM-HKD" in p or "USD" in p for p in problems)


@pytest.mark.ledger_tampered  # rows written around the engine
def test_verify_names_a_tampered_transfer_after_sealing(accts, clock):
    summary, alice = accts["summary"], accts["alice"]
    [dep] = book(clock, TransferSpec(summary.pk, alice.pk, 1_000, "HKD"))
    clock.advance(seconds=10)
    seal = services.seal(now=clock.now())
    assert seal is not None and seal.count == 1
    assert services.verify() == []

    # someone who owns the table switches its guard off and changes the amount of a
    # sealed transfer in place (counters are left alone)
    with guards_lifted("ledger_transfer"):
        sql("UPDATE ledger_transfer SET amount = 900 WHERE id = %s", [dep.transfer["internal_id"]])
    problems = [str(v) for v in services.verify()]
    assert problems == [
        "counters: account SUM-HKD: counters [1000, 0, 0, 0] ≠ transfers [900, 0, 0, 0]",
        "counters: account M-ALICE: counters [0, 1000, 0, 0] ≠ transfers [0, 900, 0, 0]",
        f"seal: seal {seal.pk}: transfers 1..{seal.to_id} changed",
    ]


def test_booked_transfers_never_change_but_for_a_holds_state(accts, clock):
    summary, alice = accts["summary"], accts["alice"]
    [dep] = book(clock, TransferSpec(summary.pk, alice.pk, 1_000, "HKD"))
    [hold] = book(clock, TransferSpec(alice.pk, summary.pk, 300, "HKD", flag="pending"))
    dep_id, hold_id = dep.transfer["internal_id"], hold.transfer["internal_id"]
    for statement in (
        "UPDATE ledger_transfer SET amount = 900 WHERE id = %s",
        "UPDATE ledger_transfer SET debit_account_id = credit_account_id, "
        "credit_account_id = debit_account_id WHERE id = %s",
        "UPDATE ledger_transfer SET pending_state = 'pending' WHERE id = %s",
        "DELETE FROM ledger_transfer WHERE id = %s",
    ):
        assert "ledger_transfer is immutable" in refused_by_trigger(statement, [dep_id])
    # a hold's state is what changes (as posting, voiding and the expiry job do) ...
    accepted("UPDATE ledger_transfer SET pending_state = 'voided' WHERE id = %s", [hold_id])
    # ... and nothing else of it, not even along with it
    refused_by_trigger(
        "UPDATE ledger_transfer SET pending_state = 'posted', amount = 1 WHERE id = %s",
        [hold_id],
    )
    refused_by_trigger("DELETE FROM ledger_transfer WHERE id = %s", [hold_id])
    [void] = book(clock, TransferSpec(flag="void_pending", pending_id=hold_id))
    assert void.ok  # the engine's own update of the hold is allowed
    if connection.vendor == "postgresql":
        sql("SET CONSTRAINTS ALL IMMEDIATE")  # (pending foreign-key checks forbid TRUNCATE)
        assert "TRUNCATE refused" in refused_by_trigger("TRUNCATE ledger_transfer CASCADE")
    assert LedgerTransfer.objects.count() == 3
    assert services.verify() == []


def test_seals_are_append_only(accts, clock):
    book(clock, TransferSpec(accts["summary"].pk, accts["alice"].pk, 1_000, "HKD"))
    seal = services.seal(now=clock.now())
    assert seal is not None
    for statement in (
        "UPDATE ledger_seal SET digest = %s WHERE id = %s",
        "DELETE FROM ledger_seal WHERE id = %s AND digest <> %s",
    ):
        params = ["0" * 64, seal.pk] if statement.startswith("UPDATE") else [seal.pk, "x"]
        assert "ledger_seal is append-only" in refused_by_trigger(statement, params)
    if connection.vendor == "postgresql":
        sql("SET CONSTRAINTS ALL IMMEDIATE")  # (pending foreign-key checks forbid TRUNCATE)
        assert "TRUNCATE refused" in refused_by_trigger("TRUNCATE ledger_seal")
    assert services.verify() == []


@pytest.mark.ledger_tampered  # counters changed around the services
def test_verify_names_freeze_counters_that_disagree_with_the_freezes(accts, clock):
    alice = accts["alice"]
    book(clock, TransferSpec(accts["summary"].pk, alice.pk, 1_000, "HKD"))
    for kind, amount in (("debit", None), ("amount", 250)):
        services.freeze_place(
            actor=None, account_id=alice.pk, kind=kind, amount=amount, reason_code="COURT",
            now=clock.now(),
        )  # fmt: skip
    assert services.verify() == []
    # someone lifts the debit block with an UPDATE, leaving the freeze in force
    sql("UPDATE ledger_account SET debit_blocks = 0 WHERE id = %s", [alice.pk])
    assert [str(v) for v in services.verify()] == [
        "freezes: account M-ALICE: freeze counters [0, 0, 250] ≠ freezes in force [1, 0, 250]"
    ]
