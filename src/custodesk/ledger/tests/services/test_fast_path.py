"""PostgreSQL's one-round-trip booking (``ledger_book_one``) against the general path.

The function is a fast path: it may only book what the engine's general path would
book, with exactly the same effects, and must change nothing otherwise.  Here every
request of a small universe — every ordered pair of accounts in every state (flags,
freezes, closed, hot, another currency) × both flags × amounts at and around the
limits, and every hold (pending, posted, voided, expired, and holds on accounts frozen
after them) posted in full, in part, beyond its amount, or voided — is tried both ways
in a savepoint that is rolled back, and the two must agree on *whether* it books and on
*every row it changes*.
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any

import pytest
from django.db import connection, transaction

from custodesk.ledger import engine, services
from custodesk.ledger import errors as E
from custodesk.ledger.engine import fast_path
from custodesk.ledger.engine import general as general_path
from custodesk.ledger.models import LedgerAccount
from custodesk.ledger.services import TransferSpec

pytestmark = pytest.mark.django_db


class _Undo(Exception):
    pass


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("ledger_book_one is PostgreSQL's fast path; SQLite has only the general one")


def _state() -> Any:
    """Every row a booking can change, without surrogate keys."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT a.code, a.debits_posted + coalesce(sum(s.debits_posted), 0), "
            "a.credits_posted + coalesce(sum(s.credits_posted), 0), "
            "a.debits_pending + coalesce(sum(s.debits_pending), 0), "
            "a.credits_pending + coalesce(sum(s.credits_pending), 0) "
            "FROM ledger_account a LEFT JOIN ledger_account_shard s ON s.account_id = a.id "
            "GROUP BY a.id ORDER BY a.code"
        )
        accounts = cur.fetchall()
        cur.execute(
            "SELECT d.code, c.code, t.amount, t.currency, t.flag, p.idempotency_key, "
            "t.pending_state, t.timeout_at, t.kind, t.business_date, t.group_id, "
            "t.metadata::text, t.requested_by, t.request_digest, t.created_at, "
            "t.idempotency_key FROM ledger_transfer t "
            "JOIN ledger_account d ON d.id = t.debit_account_id "
            "JOIN ledger_account c ON c.id = t.credit_account_id "
            "LEFT JOIN ledger_transfer p ON p.id = t.pending_id ORDER BY t.id"
        )
        transfers = cur.fetchall()
    return accounts, transfers


def _try(fn: Any) -> tuple[Any, Any]:
    out: Any = None
    state: Any = None
    try:
        with transaction.atomic():
            out = fn()
            state = _state()
            raise _Undo
    except _Undo:
        pass
    return out, state


@pytest.fixture
def universe(clock):
    now = clock.now()

    def open_(code: str, currency: str = "HKD", **kw: Any) -> LedgerAccount:
        return services.account_open(
            actor=None, code=code, kind=kw.pop("kind", "member_sub"), currency=currency,
            now=now, **kw,
        )  # fmt: skip

    accts = {
        "plain": open_("PLAIN"),
        "funder": open_("FUNDER"),
        "dmnec": open_("DMNEC", debits_must_not_exceed_credits=True),
        "cmned": open_("CMNED", kind="bank_clearing", credits_must_not_exceed_debits=True),
        "hot": open_("HOT", kind="market_summary", hot=True),
        "usd": open_("USD-1", "USD"),
        "closed": open_("CLOSED"),
        "debit_frozen": open_("DFROZEN"),
        "credit_frozen": open_("CFROZEN"),
        "amount_frozen": open_("AFROZEN", debits_must_not_exceed_credits=True),
    }
    ids = {k: a.pk for k, a in accts.items()}

    def book(spec: TransferSpec) -> services.Outcome:
        out = services.book_one(spec, now=clock.now(), business_date=clock.business_date())
        assert out.ok, out
        return out

    # balances: the flagged accounts hold 1,000 (DMNEC 2,500 before its five holds of 300
    # leave 1,000 available); the bank account has paid out 1,000
    for name in ("dmnec", "amount_frozen", "debit_frozen", "credit_frozen"):
        book(TransferSpec(ids["funder"], ids[name], 2500 if name == "dmnec" else 1000, "HKD"))
    book(TransferSpec(ids["cmned"], ids["funder"], 1000, "HKD"))
    services.account_close(actor=None, account_id=ids["closed"], reason="test", now=now)
    holds = {}
    # holds placed before the freezes on the accounts they debit or credit
    for name, d, c in (
        ("from_debit_frozen", "debit_frozen", "plain"),
        ("into_credit_frozen", "dmnec", "credit_frozen"),
        ("from_amount_frozen", "amount_frozen", "plain"),
    ):
        out = book(TransferSpec(ids[d], ids[c], 300, "HKD", flag="pending"))
        assert out.transfer is not None
        holds[name] = out.transfer["internal_id"]
    for name, kind, amount in (
        ("debit_frozen", "debit", None),
        ("credit_frozen", "credit", None),
        ("amount_frozen", "amount", 400),
    ):
        services.freeze_place(
            actor=None, account_id=ids[name], kind=kind, amount=amount, reason_code="court_order",
            now=now,
        )  # fmt: skip
    for name, timeout in (("open", None), ("posted", None), ("voided", None), ("expiring", 30)):
        out = book(
            TransferSpec(
                ids["dmnec"], ids["plain"], 300, "HKD", flag="pending", timeout_seconds=timeout,
                idempotency_key=f"hold-{name}",
            )
        )  # fmt: skip
        assert out.transfer is not None
        holds[name] = out.transfer["internal_id"]
    book(TransferSpec(flag="post_pending", pending_id=holds["posted"], amount=100))
    book(TransferSpec(flag="void_pending", pending_id=holds["voided"]))
    clock.advance(seconds=31)  # "expiring" has timed out (not yet voided)
    return ids, holds


def _compare(clock, spec: TransferSpec, fast_spec: TransferSpec | None = None) -> str:
    """``fast_spec``: what the fast path is given instead (the same accounts by code)."""
    fast, fast_state = _try(
        lambda: fast_path.book_one(
            fast_spec or spec,
            requested_by=None,
            business_date=clock.business_date(),
            now=clock.now(),
        )
    )
    general, general_state = _try(
        lambda: general_path.book_once(
            [spec], requested_by=None, business_date=clock.business_date(), now=clock.now(),
            load=services.load_transfers,
        )[0]
    )  # fmt: skip
    if fast is None:
        # it refused: the general path must refuse too (else the fast path is too strict)
        # and the fast path itself changed nothing
        assert not general.ok, (spec, general)
        return "refused"
    assert general.ok, (spec, general)
    assert fast_state == general_state, spec
    assert fast.transfer is not None and general.transfer is not None
    keep = ("id", "internal_id")  # new surrogate keys differ; everything else must not
    assert {k: v for k, v in fast.transfer.items() if k not in keep} == {
        k: v for k, v in general.transfer.items() if k not in keep
    }
    return "booked"


def test_the_fast_path_books_exactly_what_the_general_path_books(postgres_only, universe, clock):
    ids, holds = universe
    codes = dict(LedgerAccount.objects.filter(pk__in=ids.values()).values_list("pk", "code"))
    codes = {name: codes[pk] for name, pk in ids.items()}
    before = _state()
    seen = {"booked": 0, "refused": 0}
    amounts = (1, 599, 600, 601, 1000, 1001, engine.MAX_AMOUNT)
    for (d, c), flag, amount in itertools.product(
        itertools.permutations(ids, 2), ("posted", "pending"), amounts
    ):
        currency = "USD" if "usd" in (d, c) and amount == 1 else "HKD"
        spec = TransferSpec(
            ids[d], ids[c], amount, currency, flag=flag,
            timeout_seconds=60 if flag == "pending" else None, kind="test",
            metadata={"case": f"{d}>{c}"},
        )  # fmt: skip
        seen[_compare(clock, spec)] += 1
        # the API's way: accounts by code, resolved inside the booking call
        by_code = dataclasses.replace(
            spec, debit_account_id=None, credit_account_id=None,
            debit_code=codes[d], credit_code=codes[c],
        )  # fmt: skip
        seen[_compare(clock, spec, by_code)] += 1
    for hold, flag, amount in itertools.product(
        holds.values(), ("post_pending", "void_pending"), (None, 1, 300, 301)
    ):
        if flag == "void_pending" and amount is not None:
            continue
        seen[_compare(clock, TransferSpec(flag=flag, pending_id=hold, amount=amount))] += 1
    # both outcomes were met many times, and nothing of it stayed behind
    assert seen["booked"] > 100 and seen["refused"] > 100, seen
    assert _state() == before


def test_a_recorded_key_and_a_refusal_go_the_general_way(postgres_only, universe, clock):
    """The fast path answers only "booked"; replays, conflicts and refusals (which must be
    recorded) are the general path's, reached through the same service call."""
    ids, _holds = universe
    spec = TransferSpec(ids["funder"], ids["plain"], 5, "HKD", idempotency_key="k-1")
    first = services.book_one(spec, now=clock.now(), business_date=clock.business_date())
    again = services.book_one(spec, now=clock.now(), business_date=clock.business_date())
    assert first.ok and not first.replayed
    assert again.ok and again.replayed and again.transfer == first.transfer
    assert (
        fast_path.book_one(
            spec, requested_by=None, business_date=clock.business_date(), now=clock.now()
        )
        is None
    )

    too_much = TransferSpec(ids["dmnec"], ids["plain"], 10_000, "HKD", idempotency_key="k-2")
    out = services.book_one(too_much, now=clock.now(), business_date=clock.business_date())
    assert out.code == "exceeds_credits"
    with connection.cursor() as cur:
        cur.execute("SELECT code FROM ledger_refused_transfer WHERE idempotency_key = 'k-2'")
        assert cur.fetchall() == [("exceeds_credits",)]


def test_the_booking_call_is_a_prepared_statement(postgres_only, universe, clock):
    """PostgreSQL keeps the plan of the booking call (Django's default connection options
    switch psycopg's preparing off; settings switch it back on for these statements).
    One statement per shape of parameters (a NULL travels untyped): booking more
    transfers of a shape already seen prepares nothing new."""
    ids, _holds = universe

    def prepared() -> int:
        with connection.cursor() as cur:
            cur.execute("SELECT statement FROM pg_prepared_statements")
            return sum(1 for (s,) in cur.fetchall() if "ledger_book_one" in s)

    def transfer() -> None:
        out = services.book_one(
            TransferSpec(ids["funder"], ids["plain"], 1, "HKD"),
            now=clock.now(),
            business_date=clock.business_date(),
        )
        assert out.ok

    transfer()
    before = prepared()
    for _ in range(3):
        transfer()
    assert before >= 1 and prepared() == before


def test_an_unknown_account_code_books_nothing_and_says_which(postgres_only, universe, clock):
    _ids, _holds = universe
    spec = TransferSpec(amount=5, currency="HKD", debit_code="PLAIN", credit_code="NO-SUCH")
    assert (
        fast_path.book_one(
            spec, requested_by=None, business_date=clock.business_date(), now=clock.now()
        )
        is None
    )
    before = _state()
    with pytest.raises(E.AccountNotFound) as caught:
        services.book_one(spec, now=clock.now(), business_date=clock.business_date())
    assert caught.value.data == {"account": "NO-SUCH"} and _state() == before
