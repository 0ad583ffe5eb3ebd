"""Transaction queries (TXN-QUERY): deposits and withdrawals in every state, clearing and
suspense re-credits from the ledger, today or a historical range inside the window, by
status and direction, keyset pages, the detail with every state change, 404 outside."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from custodesk.core.errors import NotFound, ValidationFailed
from custodesk.funds import services, transactions
from custodesk.funds.tests.conftest import deposit, withdraw
from custodesk.funds.tests.queries.conftest import book, summary_of, suspense_of
from custodesk.funds.transactions import Filters
from custodesk.ledger import facade as ledger

pytestmark = pytest.mark.django_db


def story(
    contract: Any, other_contract: Any, market: Any, operator: Any, reviewer: Any, clock: Any
) -> dict[str, Any]:
    """Deposit 1,000.00 (succeeded), withdrawals 300.00 (rejected), 200.00 (succeeded),
    50.00 (waiting: held); 25.50 re-credited from suspense; a trade of 100.00 to the other
    member.  Posted balance: 725.50."""
    ids = {}
    m = deposit(operator, contract, "1000.00", clock, "d-1").movement
    ids["deposit"] = services.movement_approve(
        actor=reviewer, movement_id=m.public_id, now=clock.now()
    ).public_id
    w = withdraw(operator, contract, "300.00", clock, "w-1").movement
    services.movement_reject(
        actor=reviewer, movement_id=w.public_id, reason="not today", now=clock.now()
    )
    ids["rejected"] = w.public_id
    w = withdraw(operator, contract, "200.00", clock, "w-2").movement
    services.movement_approve(actor=reviewer, movement_id=w.public_id, now=clock.now())
    ids["withdrawal"] = w.public_id
    ids["waiting"] = withdraw(operator, contract, "50.00", clock, "w-3").movement.public_id
    book(summary_of(market), suspense_of(market), "25.50", kind="unmatched", clock=clock)
    ids["recredit"] = book(
        suspense_of(market), contract.sub_ledger_account_id, "25.50", kind="recredit", clock=clock
    ).id
    ids["trade"] = book(
        contract.sub_ledger_account_id,
        other_contract.sub_ledger_account_id,
        "100.00",
        kind="trade",
        clock=clock,
    ).id
    return ids


def _all(actor: Any, clock: Any, **f: Any) -> list[dict[str, Any]]:
    return transactions.transactions(
        actor=actor, filters=Filters(**f), today=clock.business_date(), limit=200
    ).items


def test_classes_statuses_and_the_sum_of_the_ledger(
    contract, other_contract, market, operator, reviewer, clock
):
    ids = story(contract, other_contract, market, operator, reviewer, clock)
    funds = _all(operator, clock)
    assert [(r["type"], r["amount"], r["status"]) for r in funds] == [
        ("withdrawal", Decimal("50.00"), "submitted"),
        ("withdrawal", Decimal("200.00"), "succeeded"),
        ("withdrawal", Decimal("300.00"), "rejected"),
        ("deposit", Decimal("1000.00"), "succeeded"),
    ]
    assert funds[2]["reason"] == "not today"
    assert [r["id"] for r in _all(operator, clock, status="succeeded")] == [
        ids["withdrawal"],
        ids["deposit"],
    ]
    assert len(_all(operator, clock, direction="withdrawal")) == 3
    [recredit] = _all(operator, clock, category="suspense")
    assert (recredit["id"], recredit["signed_amount"]) == (ids["recredit"], Decimal("25.50"))
    [trade] = _all(operator, clock, category="clearing")
    assert (trade["id"], trade["signed_amount"]) == (ids["trade"], Decimal("-100.00"))
    assert _all(operator, clock, category="clearing", status="rejected") == []

    succeeded = [
        r
        for c in ("funds", "clearing", "suspense")
        for r in _all(operator, clock, category=c)
        if r["status"] == "succeeded"
    ]
    b = ledger.owned_balances(account_ids=[contract.sub_ledger_account_id])[
        contract.sub_ledger_account_id
    ]
    assert sum(r["signed_amount"] for r in succeeded) == b.posted.to_decimal() == Decimal("725.50")


def test_the_other_member_sees_its_side_of_the_trade_only(
    contract, other_contract, market, operator, reviewer, other_operator, clock
):
    ids = story(contract, other_contract, market, operator, reviewer, clock)
    assert _all(other_operator, clock) == []
    [trade] = _all(other_operator, clock, category="clearing")
    assert (trade["member_code"], trade["signed_amount"]) == ("M0002", Decimal("100.00"))
    for key in ("deposit", "recredit"):
        with pytest.raises(NotFound):
            transactions.transaction_detail(actor=other_operator, txn_id=ids[key])


def test_detail_has_every_state_change(contract, other_contract, market, operator, reviewer, clock):
    ids = story(contract, other_contract, market, operator, reviewer, clock)
    d = transactions.transaction_detail(actor=operator, txn_id=ids["deposit"])
    assert [(e["from_status"], e["to_status"], e["by"]) for e in d["events"]] == [
        ("", "submitted", "Ent.Operator"),
        ("submitted", "approved", "Ent.Reviewer"),
        ("approved", "sent", "rail"),
        ("sent", "succeeded", "rail"),
    ]
    assert d["rail_reference"] and d["approved_by"] == "Ent.Reviewer"
    r = transactions.transaction_detail(actor=operator, txn_id=ids["recredit"])
    assert (r["category"], r["status"], len(r["events"])) == ("suspense", "succeeded", 1)


def test_keyset_pages(contract, other_contract, market, operator, reviewer, clock):
    story(contract, other_contract, market, operator, reviewer, clock)
    seen, after = [], None
    while True:
        page = transactions.transactions(
            actor=operator, filters=Filters(), today=clock.business_date(), after=after, limit=3
        )
        seen += [r["id"] for r in page.items]
        if page.next_after is None:
            break
        after = page.next_after
    assert seen == [r["id"] for r in _all(operator, clock)] and len(seen) == 4
    with pytest.raises(ValidationFailed):
        transactions.transactions(
            actor=operator, filters=Filters(), today=clock.business_date(), after="x"
        )


def test_today_history_and_the_window(contract, operator, reviewer, clock, settings):
    m = deposit(operator, contract, "10.00", clock, "d-old").movement
    services.movement_approve(actor=reviewer, movement_id=m.public_id, now=clock.now())
    first_day = clock.business_date()
    clock.advance(days=3)
    clock.set_business_date(None)
    today = clock.business_date()
    assert _all(operator, clock) == []  # today's
    hist = _all(operator, clock, date_from=first_day, date_to=today)
    assert [r["id"] for r in hist] == [m.public_id]
    settings.CUSTODESK_FUNDS_HISTORY_DAYS = 2
    with pytest.raises(ValidationFailed) as err:
        _all(operator, clock, date_from=first_day, date_to=today)
    [e] = err.value.errors
    assert (e.field, e.rule) == ("date_from", "history_window")
    assert (today - dt.timedelta(days=2)).isoformat() in str(e.message)


def test_export_rows_are_read_a_chunk_at_a_time_oldest_first(
    contract, operator, reviewer, clock, monkeypatch, django_assert_max_num_queries
):
    for n in range(5):
        deposit(operator, contract, f"{n + 1}.00", clock, f"d-{n}")
    monkeypatch.setattr(transactions, "EXPORT_CHUNK", 2)
    rows = transactions.export_rows(actor=operator, filters=Filters(), today=clock.business_date())
    first = next(rows)  # lazy: one chunk read
    assert first["amount"] == Decimal("1.00")
    rest = list(rows)
    assert [r["amount"] for r in rest] == [Decimal(f"{n}.00") for n in range(2, 6)]
    with django_assert_max_num_queries(4):  # 3 chunks of at most 2 rows + the empty read
        assert (
            len(
                list(
                    transactions.export_rows(
                        actor=operator, filters=Filters(), today=clock.business_date()
                    )
                )
            )
            == 5
        )
