"""An accounting story across midnight and a business-date change.

A custody day does not end at midnight: it stays open until end-of-day
processing rolls the business date.  So a movement booked at 00:10 on the
calendar Tuesday still belongs to Monday's business day, and Monday's statement
shows it — while a balance "as of" an instant is about real time (what had been
booked by then).  This file tells one member's two days and checks both views.

Amounts are HKD minor units (cents).
"""

from __future__ import annotations

import datetime as dt

import pytest

from custodesk.ledger import selectors, services
from custodesk.ledger.models import LedgerAccount, LedgerTransfer
from custodesk.ledger.services import TransferSpec
from custodesk.testing.fixtures import HK

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 11, 23)
TUESDAY = dt.date(2026, 11, 24)


def at(day: dt.date, hh: int, mm: int, ss: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hh, mm, ss, tzinfo=HK)


def test_a_members_monday_that_ends_after_midnight(clock, admin):
    assert MONDAY.weekday() == 0 and clock.now().date() == MONDAY

    def book(spec: TransferSpec) -> services.Outcome:
        out = services.book_one(spec, now=clock.now(), business_date=clock.business_date())
        assert out.ok, out
        return out

    def open_(code: str, kind: str, **kw) -> LedgerAccount:
        return services.account_open(
            actor=None, code=code, kind=kind, currency="HKD", now=clock.now(), **kw
        )

    # Monday morning: the market's summary account (hot: every deposit touches it), the
    # bank's clearing account for payouts, the fee income account, and the member's
    # custody sub-account, which may never go below zero.
    summary = open_("HKD-SUMMARY", "market_summary", hot=True)
    bank = open_("BANK-CLEARING", "bank_clearing")
    fees = open_("FEES", "fee")
    member = open_("M001-SUB-01", "member_sub", debits_must_not_exceed_credits=True)
    other = open_("M002-SUB-01", "member_sub", debits_must_not_exceed_credits=True)
    # The custody day is Monday, and it stays Monday until end-of-day says otherwise.
    clock.set_business_date(MONDAY)

    # 23:50 Monday: a late deposit of HKD 50,000.00 lands on the member's sub-account.
    clock.set(at(MONDAY, 23, 50))
    book(TransferSpec(summary.pk, member.pk, 5_000_000, "HKD", kind="deposit"))

    # 23:55: the monthly custody fee, HKD 10.00.
    clock.set(at(MONDAY, 23, 55))
    book(TransferSpec(member.pk, fees.pk, 1_000, "HKD", kind="fee"))

    # 23:59: the member asks to withdraw HKD 20,000.00; the money is held, not yet gone.
    clock.set(at(MONDAY, 23, 59))
    hold = book(
        TransferSpec(member.pk, bank.pk, 2_000_000, "HKD", flag="pending", kind="withdrawal")
    )
    hold_id = hold.transfer["internal_id"]

    # 23:59:30: the member also tries to pay HKD 30,000.00 to another member.  The balance
    # is 49,990.00, but 20,000.00 of it is held: only 29,990.00 is available.
    clock.set(at(MONDAY, 23, 59, 30))
    too_much = services.book_one(
        TransferSpec(member.pk, other.pk, 3_000_000, "HKD"),
        now=clock.now(),
        business_date=clock.business_date(),
    )
    assert (too_much.ok, too_much.code) == (False, "exceeds_credits")

    # Midnight passes.  The calendar says Tuesday; the custody day is still Monday.
    clock.set(at(TUESDAY, 0, 10))
    assert clock.business_date() == MONDAY

    # 00:10 (calendar Tuesday): the bank pays out only HKD 15,000.00; the hold is posted
    # for that amount and the other HKD 5,000.00 goes back to the member.
    post = book(
        TransferSpec(flag="post_pending", pending_id=hold_id, amount=1_500_000, kind="withdrawal")
    )
    assert post.transfer["business_date"] == MONDAY
    assert post.transfer["created_at"].astimezone(HK).date() == TUESDAY

    # 00:30: end-of-day processing closes Monday; the business date rolls to Tuesday.
    clock.set(at(TUESDAY, 0, 30))
    clock.set_business_date(TUESDAY)

    # 09:00 Tuesday: another deposit of HKD 2,000.00.
    clock.set(at(TUESDAY, 9, 0))
    book(TransferSpec(summary.pk, member.pk, 200_000, "HKD", kind="deposit"))

    # 09:30: a court order freezes HKD 1,000.00 of the balance (the money stays, but it
    # cannot be spent).
    clock.set(at(TUESDAY, 9, 30))
    court = services.freeze_place(
        actor=None,
        account_id=member.pk,
        kind="amount",
        amount=100_000,
        reason_code="COURT_ORDER",
        legal_reference="HCMP 1234/2026",
        now=clock.now(),
    )

    # 10:00: a second withdrawal of HKD 1,000.00 is held ... and at 10:15 cancelled.
    clock.set(at(TUESDAY, 10, 0))
    hold2 = book(
        TransferSpec(member.pk, bank.pk, 100_000, "HKD", flag="pending", kind="withdrawal")
    )
    clock.set(at(TUESDAY, 10, 15))
    book(
        TransferSpec(
            flag="void_pending", pending_id=hold2.transfer["internal_id"], kind="cancellation"
        )
    )

    # 11:00: the member pays HKD 500.00 to another member; at 12:00 the freeze is lifted.
    clock.set(at(TUESDAY, 11, 0))
    book(TransferSpec(member.pk, other.pk, 50_000, "HKD", kind="transfer"))
    clock.set(at(TUESDAY, 12, 0))
    services.freeze_release(
        actor=None, freeze_id=court.public_id, reason="order discharged", now=clock.now()
    )

    member = LedgerAccount.objects.get(pk=member.pk)

    # -- the balance as of an instant (real time) ------------------------------------------
    def seen_at(moment: dt.datetime) -> tuple[int, int, int, int]:
        b = selectors.balance(member, as_of=moment)
        return b.balance, b.debits_pending, b.frozen_amount, b.available

    # (balance, held for withdrawals, frozen by the court, available to spend)
    assert seen_at(at(MONDAY, 23, 49, 59)) == (0, 0, 0, 0)  # nothing yet
    assert seen_at(at(MONDAY, 23, 50)) == (5_000_000, 0, 0, 5_000_000)  # the deposit
    assert seen_at(at(MONDAY, 23, 58)) == (4_999_000, 0, 0, 4_999_000)  # less the fee
    assert seen_at(at(MONDAY, 23, 59)) == (4_999_000, 2_000_000, 0, 2_999_000)  # held
    assert seen_at(at(TUESDAY, 0, 0)) == (4_999_000, 2_000_000, 0, 2_999_000)  # midnight
    assert seen_at(at(TUESDAY, 0, 9, 59)) == (4_999_000, 2_000_000, 0, 2_999_000)
    assert seen_at(at(TUESDAY, 0, 10)) == (3_499_000, 0, 0, 3_499_000)  # posted 15,000
    assert seen_at(at(TUESDAY, 9, 0)) == (3_699_000, 0, 0, 3_699_000)
    assert seen_at(at(TUESDAY, 9, 30)) == (3_699_000, 0, 100_000, 3_599_000)  # frozen
    assert seen_at(at(TUESDAY, 10, 5)) == (3_699_000, 100_000, 100_000, 3_499_000)
    assert seen_at(at(TUESDAY, 10, 15)) == (3_699_000, 0, 100_000, 3_599_000)  # voided
    assert seen_at(at(TUESDAY, 11, 0)) == (3_649_000, 0, 100_000, 3_549_000)
    assert seen_at(at(TUESDAY, 12, 0)) == (3_649_000, 0, 0, 3_649_000)  # lifted
    # ... and the latest instant agrees with the live counters
    now = selectors.balance(member)
    assert (now.balance, now.debits_pending, now.frozen_amount, now.available) == (
        3_649_000,
        0,
        0,
        3_649_000,
    )
    assert services.counters(member) == (1_000 + 1_500_000 + 50_000, 5_200_000, 0, 0)

    # -- the statement by business date ----------------------------------------------------
    def lines(st: selectors.Statement) -> list[tuple[dt.date, str, str, int, int, int]]:
        return [
            (
                ln["business_date"],
                ln["kind"],
                ln["counterparty"],
                ln["debit"],
                ln["credit"],
                ln["balance"],
            )
            for ln in st.lines
        ]

    # Monday's statement ends with the withdrawal booked at 00:10 on the calendar Tuesday.
    # The hold itself is no movement: only its posting is, for the amount paid out.
    monday = selectors.statement(member, date_from=MONDAY, date_to=MONDAY)
    assert (monday.opening, monday.closing) == (0, 3_499_000)
    assert lines(monday) == [
        (MONDAY, "deposit", "HKD-SUMMARY", 0, 5_000_000, 5_000_000),
        (MONDAY, "fee", "FEES", 1_000, 0, 4_999_000),
        (MONDAY, "withdrawal", "BANK-CLEARING", 1_500_000, 0, 3_499_000),
    ]
    assert monday.lines[-1]["created_at"].astimezone(HK) == at(TUESDAY, 0, 10)

    # Tuesday opens where Monday closed; the cancelled hold leaves no line, the freeze
    # changes what can be spent but not the balance.
    tuesday = selectors.statement(member, date_from=TUESDAY, date_to=TUESDAY)
    assert (tuesday.opening, tuesday.closing) == (3_499_000, 3_649_000)
    assert lines(tuesday) == [
        (TUESDAY, "deposit", "HKD-SUMMARY", 0, 200_000, 3_699_000),
        (TUESDAY, "transfer", "M002-SUB-01", 50_000, 0, 3_649_000),
    ]

    # Both days at once: the same lines, one running balance.
    both = selectors.statement(member, date_from=MONDAY, date_to=TUESDAY)
    assert (both.opening, both.closing) == (0, 3_649_000)
    assert lines(both) == lines(monday) + lines(tuesday)

    # Before the story and after it: no lines, the balance carried.
    sunday = selectors.statement(
        member, date_from=MONDAY - dt.timedelta(days=1), date_to=MONDAY - dt.timedelta(days=1)
    )
    assert (sunday.opening, sunday.closing, sunday.lines) == (0, 0, [])
    wednesday = selectors.statement(
        member, date_from=TUESDAY + dt.timedelta(days=1), date_to=TUESDAY + dt.timedelta(days=7)
    )
    assert (wednesday.opening, wednesday.closing, wednesday.lines) == (3_649_000, 3_649_000, [])

    # The calendar and the business day disagree for exactly one movement: the posting.
    by_calendar_tuesday = [
        t.kind
        for t in LedgerTransfer.objects.filter(business_date=MONDAY).order_by("id")
        if t.created_at.astimezone(HK).date() == TUESDAY
    ]
    assert by_calendar_tuesday == ["withdrawal"]
    assert [t.kind for t in selectors.transfers(actor=admin, filters={"date_from": TUESDAY})] == [
        "transfer",
        "cancellation",
        "withdrawal",  # the cancelled hold
        "deposit",
    ]  # newest first

    # The other side of each movement is consistent too.
    assert selectors.statement(other, date_from=MONDAY, date_to=TUESDAY).closing == 50_000
    fee_st = selectors.statement(fees, date_from=MONDAY, date_to=MONDAY)
    assert (fee_st.opening, fee_st.closing) == (0, 1_000)
    assert services.verify() == []
