"""The one presentation of account and transfer rows: minor units and labels for the
console, the same row with decimal strings for the API."""

from __future__ import annotations

import datetime as dt

from django.utils import translation

from custodesk.ledger import presenters
from custodesk.ledger.models import LedgerAccount, LedgerTransfer
from custodesk.ledger.selectors import Balance

NOW = dt.datetime(2026, 11, 23, 1, 30, tzinfo=dt.UTC)


def account() -> LedgerAccount:
    return LedgerAccount(
        id=7, code="M-1", kind="member_sub", currency="HKD", frozen_amount=456,
        debit_blocks=1, created_at=NOW, debits_must_not_exceed_credits=True,
    )  # fmt: skip


def test_an_account_row_is_minor_units_for_the_console_and_decimals_for_the_api():
    a, b = account(), Balance("M-1", "HKD", 20_000, 138_456, 3_000, 0, 456, None)
    with translation.override("en"):
        row = presenters.account_row(a, b)
    assert (row["balance"], row["available"], row["frozen_amount"]) == (118_456, 115_000, 456)
    assert (row["kind_label"], row["status_label"]) == ("Custody sub-account", "Open")
    with translation.override("zh-hant"):  # labels in the request's language
        assert presenters.account_row(a, b)["kind_label"] == "資金存管明細帳戶"
    assert row["debit_frozen"] and not row["credit_frozen"]
    api = presenters.account_api(a, b)
    assert (api["balance"], api["available"], api["debits_pending"]) == (
        "1184.56",
        "1150.00",
        "30.00",
    )
    assert {k: v for k, v in api.items() if k not in presenters.ACCOUNT_AMOUNTS} == {
        k: v for k, v in row.items() if k not in presenters.ACCOUNT_AMOUNTS
    }


def test_a_transfer_row_says_whether_a_hold_is_overdue():
    a, c = account(), LedgerAccount(id=8, code="SUM", currency="HKD")
    hold = LedgerTransfer(
        id=1, debit_account=a, credit_account=c, amount=12_345, currency="HKD",
        flag="pending", pending_state="pending", timeout_at=NOW, kind="withdrawal",
        business_date=NOW.date(), created_at=NOW,
    )  # fmt: skip
    assert presenters.transfer_row(hold, now=NOW)["overdue"] is True
    assert presenters.transfer_row(hold, now=NOW - dt.timedelta(seconds=1))["overdue"] is False
    row = presenters.transfer_api(presenters.transfer_row(hold))
    assert (row["amount"], row["debit_account"], row["pending_id"]) == ("123.45", "M-1", None)
