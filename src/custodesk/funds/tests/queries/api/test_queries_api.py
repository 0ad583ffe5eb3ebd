"""The query API over real HTTP: accounts with the receiving account, transactions and
their XLSX (opens with openpyxl, sums to the ledger) and CSV, the statement PDF (the
member's Chinese name, the right closing balance), the receipt PDF, the history window
(422 naming the field and rule), another member's data 404."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from pypdf import PdfReader

from custodesk.funds import services
from custodesk.funds.tests.conftest import deposit, withdraw
from custodesk.funds.tests.queries.conftest import MEMBER_NAME
from custodesk.ledger import facade as ledger
from custodesk.testing.exports import csv_rows

pytestmark = pytest.mark.django_db(transaction=True)


def signed_in(api_client: Any, user: Any) -> Any:
    api = api_client()
    r = api.sign_in(user.username)
    assert r.status_code == 200, r.text
    return api


def pdf_text(data: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def _money(contract: Any, operator: Any, reviewer: Any, clock: Any) -> Any:
    m = deposit(operator, contract, "1000.00", clock, "d-1").movement
    services.movement_approve(actor=reviewer, movement_id=m.public_id, now=clock.now())
    w = withdraw(operator, contract, "300.00", clock, "w-1").movement
    services.movement_approve(actor=reviewer, movement_id=w.public_id, now=clock.now())
    withdraw(operator, contract, "120.25", clock, "w-2")  # waiting: held
    return m


def test_accounts_and_receiving_account(api_client, contract, market, operator, reviewer, clock):
    _money(contract, operator, reviewer, clock)
    api = signed_in(api_client, operator)
    [row] = api.get("/funds/accounts").json()["items"]
    assert (row["member_name"], row["balance"], row["frozen"], row["available"]) == (
        MEMBER_NAME,
        "700.00",
        "120.25",
        "579.75",
    )
    d = api.get(f"/funds/accounts/{row['id']}").json()
    assert d["receiving_account"]["account_no"] == market.summary_account_no
    assert api.get("/funds/accounts", params={"status": "nope"}).status_code == 422


def test_xlsx_opens_and_sums_to_the_ledger_csv_too(api_client, contract, operator, reviewer, clock):
    _money(contract, operator, reviewer, clock)
    api = signed_in(api_client, operator)
    r = api.get("/funds/transactions/export", params={"format": "xlsx"})
    assert r.status_code == 200, r.text
    assert r.headers["content-disposition"].endswith('.xlsx"')
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
    header, *rows = list(ws.iter_rows(values_only=True))
    col = {name: i for i, name in enumerate(header)}
    assert len(rows) == 3
    amount_cells = [
        c
        for c in next(ws.iter_cols(min_col=col["amount"] + 1, max_col=col["amount"] + 1, min_row=2))
    ]
    assert all(c.number_format == "#,##0.00" for c in amount_cells)
    first = rows[0]
    assert first[col["business_date"]].date() == clock.business_date()  # a date cell
    assert isinstance(first[col["amount"]], int | float)
    succeeded = sum(Decimal(str(r[col["amount"]])) for r in rows if r[col["status"]] == "succeeded")
    b = ledger.owned_balances(account_ids=[contract.sub_ledger_account_id])[
        contract.sub_ledger_account_id
    ]
    assert succeeded == b.posted.to_decimal() == Decimal("700.00")
    held = sum(-Decimal(str(r[col["amount"]])) for r in rows if r[col["status"]] == "submitted")
    assert held == b.pending_debits.to_decimal()

    c = api.get("/funds/transactions/export", params={"format": "csv"})
    head, *lines = csv_rows(c.content)
    assert tuple(head) == header and len(lines) == 3
    assert {ln[head.index("member_name")] for ln in lines} == {MEMBER_NAME}


def test_statement_pdf_and_receipt(api_client, contract, operator, reviewer, clock):
    m = _money(contract, operator, reviewer, clock)
    api = signed_in(api_client, operator)
    day = clock.business_date().isoformat()
    r = api.get(
        f"/funds/accounts/{contract.public_id}/statement.pdf",
        params={"date_from": day, "date_to": day},
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    text = pdf_text(r.content)
    assert MEMBER_NAME in text
    closing = next(line for line in text.splitlines() if "Closing balance" in line)
    assert closing.strip().endswith("700.00")

    r = api.get(f"/funds/transactions/{m.public_id}/receipt.pdf")
    assert r.status_code == 200
    text = pdf_text(r.content)
    assert MEMBER_NAME in text and "1,000.00 CNY" in text and "Ent.Reviewer" in text


def test_history_window_is_a_clear_422(api_client, contract, operator, clock):
    api = signed_in(api_client, operator)
    old = "2000-01-01"
    r = api.get("/funds/transactions", params={"period": "history", "date_from": old})
    assert r.status_code == 422
    [e] = r.json()["errors"]
    assert (e["field"], e["rule"]) == ("date_from", "history_window")
    r = api.get(f"/funds/accounts/{contract.public_id}/statement.pdf", params={"date_from": old})
    assert r.status_code == 422
    assert r.json()["errors"][0]["rule"] == "history_window"


def test_another_member_gets_404_everywhere(
    api_client, contract, other_contract, operator, reviewer, other_operator, clock
):
    m = _money(contract, operator, reviewer, clock)
    api = signed_in(api_client, other_operator)
    for path in (
        f"/funds/accounts/{contract.public_id}",
        f"/funds/accounts/{contract.public_id}/statement.pdf",
        f"/funds/transactions/{m.public_id}",
        f"/funds/transactions/{m.public_id}/receipt.pdf",
    ):
        assert api.get(path).status_code == 404, path
    assert (
        api.get("/funds/transactions", params={"contract_id": str(contract.public_id)}).json()[
            "items"
        ]
        == []
    )
    r = api.get(
        "/funds/transactions/export",
        params={"format": "xlsx", "contract_id": str(contract.public_id)},
    )
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
    assert ws.max_row == 1  # the header only
