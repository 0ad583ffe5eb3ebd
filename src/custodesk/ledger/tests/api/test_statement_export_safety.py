"""Statement downloads are safe to open (X-EXPORT): formulas and control characters in
transfer kinds come out as inert text, and the amounts stay numbers that add up
(negative balances included), through the API and the console."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction

from custodesk.core.guards import guards_lifted
from custodesk.ledger.models import LedgerTransfer
from custodesk.testing.exports import csv_rows, formula_cells, payloads, xlsx_cells
from custodesk.testing.fixtures import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

HKD = {"currency": "HKD"}
DEBIT, CREDIT, BALANCE, KIND = 4, 5, 6, 2


def _book(api, kind: str, amount: str) -> dict:
    """A transfer of ``kind`` through the API.  Where the API refuses the kind (input
    bounds), the row is one stored before they existed: booked as a plain transfer, then
    its kind written as it was stored then (the immutability trigger lifted for it)."""
    body = {"debit_account": "SUM-HK", "credit_account": "M-001", "amount": amount, **HKD}
    r = api.post("/ledger/transfers", json={**body, "kind": kind})
    assert r.status_code in (201, 422), r.text
    if r.status_code == 201:
        return r.json()
    r = api.post("/ledger/transfers", json=body)
    assert r.status_code == 201, r.text
    with transaction.atomic(), guards_lifted("ledger_transfer"):
        LedgerTransfer.objects.filter(public_id=r.json()["id"]).update(kind=kind)
    return r.json()


@pytest.fixture
def statement(api_client, admin):
    """SUM-HK pays M-001 once per hostile kind: its balance goes negative."""
    api = api_client()
    assert api.sign_in("admin").status_code == 200
    for code, kind, extra in [("SUM-HK", "market_summary", {"hot": True}),
                              ("M-001", "member_sub", {})]:  # fmt: skip
        r = api.post("/ledger/accounts", json={"code": code, "kind": kind, **HKD, **extra})
        assert r.status_code == 201, r.text
    hostile = payloads(max_length=32)
    booked = [_book(api, kind, f"{i}.25") for i, kind in enumerate(hostile, start=1)]
    day = booked[0]["business_date"]
    return api, hostile, {"date_from": day, "date_to": day}


def _check_csv(body: bytes, hostile: dict[str, tuple[str, str]]) -> None:
    header, opening, *lines, closing = csv_rows(body)
    assert header[KIND] == "kind" and (opening[KIND], closing[KIND]) == ("opening", "closing")
    assert [ln[KIND] for ln in lines] == [csv_text for csv_text, _ in hostile.values()]
    # amounts are numbers, not neutralised text: "-1.25", never "'-1.25"
    debits = [Decimal(ln[DEBIT]) for ln in lines]
    assert all(d > 0 for d in debits) and Decimal(lines[0][BALANCE]) == -debits[0]
    assert Decimal(opening[BALANCE]) - sum(debits) == Decimal(closing[BALANCE]) < 0


def _check_xlsx(body: bytes, hostile: dict[str, tuple[str, str]]) -> None:
    header, opening, *lines, closing = xlsx_cells(body)
    assert header[KIND].value == "kind"
    assert formula_cells([opening, *lines, closing]) == []
    assert [ln[KIND].value for ln in lines] == [x for _, x in hostile.values()]
    assert all(ln[KIND].data_type == "s" for ln in lines)
    amounts = [ln[i] for ln in lines for i in (DEBIT, CREDIT, BALANCE)]
    assert all(c.data_type == "n" for c in [*amounts, opening[BALANCE], closing[BALANCE]])
    debits = sum(Decimal(str(ln[DEBIT].value)) for ln in lines)
    credits = sum(Decimal(str(ln[CREDIT].value)) for ln in lines)
    closing_balance = Decimal(str(closing[BALANCE].value))
    assert Decimal(str(opening[BALANCE].value)) + credits - debits == closing_balance < 0
    assert Decimal(str(lines[-1][BALANCE].value)) == closing_balance


def test_api_statement_downloads_open_safely(statement):
    api, hostile, days = statement
    url = "/ledger/accounts/SUM-HK/statement"
    as_csv = api.get(url, params={**days, "format": "csv"})
    assert as_csv.status_code == 200, as_csv.text
    _check_csv(as_csv.content, hostile)
    as_xlsx = api.get(url, params={**days, "format": "xlsx"})
    assert as_xlsx.status_code == 200, as_xlsx.text
    _check_xlsx(as_xlsx.content, hostile)


def test_console_statement_downloads_open_safely(statement, client):
    _, hostile, days = statement
    client.post("/console/sign-in/", {"username": "admin", "password": PASSWORD})
    url = "/console/ledger/accounts/SUM-HK/"
    as_csv = client.get(url, {**days, "export": "csv"})
    assert as_csv.status_code == 200
    _check_csv(as_csv.getvalue(), hostile)
    as_xlsx = client.get(url, {**days, "export": "xlsx"})
    assert as_xlsx.status_code == 200
    _check_xlsx(as_xlsx.getvalue(), hostile)
