"""Console pages of the queries (Django test client): accounts with balances and the
receiving account, the statement PDF and its range errors, the transactions with the
history window error and their downloads, a transaction's detail and receipt, 404 for
another member."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest

from custodesk.contracts.tests.views.test_console_contracts import console_sign_in
from custodesk.funds import services
from custodesk.funds.tests.conftest import deposit, withdraw
from custodesk.funds.tests.queries.conftest import MEMBER_NAME

pytestmark = pytest.mark.django_db


def _money(contract: Any, operator: Any, reviewer: Any, clock: Any) -> Any:
    m = deposit(operator, contract, "1000.00", clock, "d-1").movement
    services.movement_approve(actor=reviewer, movement_id=m.public_id, now=clock.now())
    withdraw(operator, contract, "300.00", clock, "w-1")
    return m


def test_member_queries_in_the_console(client, contract, market, operator, reviewer, clock):
    m = _money(contract, operator, reviewer, clock)
    console_sign_in(client, operator, clock)
    menu = client.get("/console/").content.decode()
    assert "/console/funds/accounts/" in menu and "/console/funds/transactions/" in menu

    page = client.get("/console/funds/accounts/").content.decode()
    assert "M0001" in page and MEMBER_NAME in page and "700.00" in page and "300.00" in page
    page = client.get(f"/console/funds/accounts/{contract.public_id}/").content.decode()
    assert market.summary_account_no in page and "Test Bank" in page

    day = clock.business_date().isoformat()
    r = client.get(
        f"/console/funds/accounts/{contract.public_id}/statement/",
        {"date_from": day, "date_to": day},
    )
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    r = client.get(
        f"/console/funds/accounts/{contract.public_id}/statement/",
        {"date_from": "2001-01-01", "date_to": day},
    )
    assert r.status_code == 422 and "History goes back" in r.content.decode()

    page = client.get("/console/funds/transactions/").content.decode()
    assert str(m.public_id) in page
    r = client.get("/console/funds/transactions/", {"period": "history", "date_from": "2001-01-01"})
    assert r.status_code == 422 and "History goes back" in r.content.decode()

    r = client.get("/console/funds/transactions/export/", {"format": "xlsx"})
    assert r.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(b"".join(r.streaming_content))).active
    assert ws.max_row == 3  # header + deposit + withdrawal

    page = client.get(f"/console/funds/transactions/{m.public_id}/").content.decode()
    assert "Ent.Reviewer" in page and "Succeeded" in page
    r = client.get(f"/console/funds/transactions/{m.public_id}/receipt/")
    assert r.status_code == 200 and r.content.startswith(b"%PDF-")


def test_another_member_gets_404(
    client, contract, other_contract, operator, reviewer, other_operator, clock
):
    m = _money(contract, operator, reviewer, clock)
    console_sign_in(client, other_operator, clock)
    for url in (
        f"/console/funds/accounts/{contract.public_id}/",
        f"/console/funds/accounts/{contract.public_id}/statement/",
        f"/console/funds/transactions/{m.public_id}/",
        f"/console/funds/transactions/{m.public_id}/receipt/",
        f"/console/funds/transactions/?contract={contract.public_id}",
    ):
        assert client.get(url).status_code == 404, url


def test_market_staff_see_their_members(client, contract, market_staff, operator, reviewer, clock):
    _money(contract, operator, reviewer, clock)
    console_sign_in(client, market_staff, clock)
    page = client.get("/console/funds/accounts/").content.decode()
    assert MEMBER_NAME in page and "700.00" in page
    page = client.get("/console/funds/transactions/", {"market": "SHFE"}).content.decode()
    assert "1000.00" in page and "M0001" in page
    page = client.get("/console/funds/transactions/", {"market": "DCE"}).content.decode()
    assert "M0001" not in page
