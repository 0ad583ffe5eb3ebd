"""The statement PDF (X-EXPORT): opening balance, movements, closing balance from the
ledger, the member's Chinese name rendered (text extracted with pypdf); the range is
checked against the history window; another member's contract is 404."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from pypdf import PdfReader

from custodesk.core.errors import NotFound, ValidationFailed
from custodesk.funds import statements
from custodesk.funds.tests.queries.conftest import MEMBER_NAME, book, summary_of, suspense_of

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def _day(clock: Any, days: int) -> None:
    clock.advance(days=days)
    clock.set_business_date(None)


def _movements(contract: Any, market: Any, clock: Any) -> dt.date:
    """Day 1: deposit 1,000.00; day 2: withdrawal 300.00, re-credit 25.50 from suspense
    (money first parked there); returns day 1."""
    day1 = clock.business_date()
    book(summary_of(market), contract.sub_ledger_account_id, "1000.00", kind="deposit", clock=clock)
    _day(clock, 1)
    book(
        contract.sub_ledger_account_id, summary_of(market), "300.00", kind="withdrawal", clock=clock
    )
    book(summary_of(market), suspense_of(market), "25.50", kind="suspense", clock=clock)
    book(suspense_of(market), contract.sub_ledger_account_id, "25.50", kind="recredit", clock=clock)
    return day1


def test_statement_has_opening_movements_and_closing(contract, market, operator, clock):
    day1 = _movements(contract, market, clock)
    st = statements.statement_data(
        actor=operator,
        contract_id=contract.public_id,
        date_from=day1 + dt.timedelta(days=1),
        date_to=clock.business_date(),
        today=clock.business_date(),
        now=clock.now(),
    )
    assert str(st["opening"]) == "1000.00"
    assert [(ln["category"], ln["debit"], ln["credit"]) for ln in st["lines"]] == [
        ("funds", Decimal("300.00"), None),
        ("suspense", None, Decimal("25.50")),
    ]
    assert str(st["closing"]) == "725.50"
    assert st["member_name"] == MEMBER_NAME


def test_statement_pdf_renders_the_chinese_name_and_the_closing_balance(
    contract, market, operator, clock
):
    day1 = _movements(contract, market, clock)
    name, data = statements.statement_pdf(
        actor=operator,
        contract_id=contract.public_id,
        date_from=day1,
        date_to=clock.business_date(),
        today=clock.business_date(),
        now=clock.now(),
    )
    assert name.startswith("statement-SHFE-M0001-")
    text = pdf_text(data)
    assert MEMBER_NAME in text
    assert "M0001" in text
    assert "1,000.00" in text and "300.00" in text and "25.50" in text
    closing_line = next(line for line in text.splitlines() if "Closing balance" in line)
    assert closing_line.strip().endswith("725.50")


def test_range_beyond_the_history_window_is_refused(contract, operator, clock, settings):
    settings.CUSTODESK_FUNDS_HISTORY_DAYS = 30
    today = clock.business_date()
    with pytest.raises(ValidationFailed) as err:
        statements.statement_data(
            actor=operator,
            contract_id=contract.public_id,
            date_from=today - dt.timedelta(days=31),
            date_to=today,
            today=today,
            now=clock.now(),
        )
    [e] = err.value.errors
    assert (e.field, e.rule) == ("date_from", "history_window")
    assert "30" in str(e.message)
    with pytest.raises(ValidationFailed) as err:
        statements.statement_data(
            actor=operator,
            contract_id=contract.public_id,
            date_from=today,
            date_to=today + dt.timedelta(days=1),
            today=today,
            now=clock.now(),
        )
    assert [(e.field, e.rule) for e in err.value.errors] == [("date_to", "not_future")]


def test_another_members_statement_is_not_found(contract, other_contract, other_operator, clock):
    with pytest.raises(NotFound):
        statements.statement_data(
            actor=other_operator,
            contract_id=contract.public_id,
            date_from=None,
            date_to=None,
            today=clock.business_date(),
            now=clock.now(),
        )
