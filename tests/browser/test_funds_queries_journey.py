"""Account and transaction queries in the browser: an enterprise's operator opens the
account query, clicks its member code, sees the market's receiving account, downloads
the statement PDF (its Chinese name and closing balance inside), opens the transactions,
downloads the XLSX (it sums to the ledger), opens a deposit and prints its receipt."""

from __future__ import annotations

import io
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from custodesk.contracts.tests.conftest import add_user, make_market, open_member
from custodesk.funds import services
from custodesk.funds.tests.conftest import deposit, withdraw
from custodesk.funds.tests.queries.conftest import MEMBER_NAME, sign
from custodesk.ledger import facade as ledger
from custodesk.testing.fixtures import PASSWORD

pytestmark = pytest.mark.browser


def sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    page.goto("/console/sign-in/")
    form = page.get_by_test_id("sign-in-form")
    form.get_by_label("User name").fill(username)
    form.get_by_label("Password").fill(password)
    with page.expect_navigation():
        form.get_by_role("button", name="Sign in").click()


@pytest.fixture
def setting(admin: Any, make_user: Callable[..., Any], clock: Any, transactional_db: Any) -> Any:
    checker = make_user("checker", roles=["admin"])
    market = make_market(admin, checker, code="SHFE", now=clock.now())
    member = open_member(
        kind="enterprise",
        name=MEMBER_NAME,
        id_number="91350100M000100Y43",
        mobile="13900000001",
        now=clock.now(),
    )
    operator = add_user(member, "ent.operator", "custody_operator", now=clock.now())
    reviewer = add_user(member, "ent.reviewer", "custody_reviewer", now=clock.now())
    contract = sign(member, market, "M0001", operator, reviewer, clock)
    m = deposit(operator, contract, "1000.00", clock, "d-1").movement
    services.movement_approve(actor=reviewer, movement_id=m.public_id, now=clock.now())
    w = withdraw(operator, contract, "300.00", clock, "w-1").movement
    services.movement_approve(actor=reviewer, movement_id=w.public_id, now=clock.now())
    return {"market": market, "contract": contract, "deposit": m}


def test_member_downloads_statement_pdf_and_transactions_xlsx(
    page: Page, setting: Any, tmp_path: Path, shot: Callable[[Page, str], Any]
):
    contract = setting["contract"]
    sign_in(page, "ent.operator")
    page.goto("/console/funds/accounts/")
    table = page.get_by_test_id("accounts-table")
    expect(table).to_contain_text(MEMBER_NAME)
    expect(table).to_contain_text("700.00")
    shot(page, "accounts")

    page.get_by_test_id("member-code-M0001").click()
    expect(page.get_by_test_id("receiving-account")).to_contain_text(
        setting["market"].summary_account_no
    )
    expect(page.get_by_test_id("available")).to_contain_text("700.00")
    shot(page, "account")
    with page.expect_download() as got:
        page.get_by_test_id("statement-pdf").click()
    pdf = tmp_path / got.value.suggested_filename
    got.value.save_as(pdf)
    assert pdf.suffix == ".pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(str(pdf)).pages)
    assert MEMBER_NAME in text
    closing = next(line for line in text.splitlines() if "Closing balance" in line)
    assert closing.strip().endswith("700.00")

    page.get_by_test_id("account-transactions").click()
    expect(page.get_by_test_id("transactions-table")).to_contain_text("1000.00")
    shot(page, "transactions")
    with page.expect_download() as got:
        page.get_by_test_id("download-xlsx").click()
    xlsx = tmp_path / got.value.suggested_filename
    got.value.save_as(xlsx)
    ws = openpyxl.load_workbook(io.BytesIO(xlsx.read_bytes())).active
    header, *rows = list(ws.iter_rows(values_only=True))
    amount, status = header.index("amount"), header.index("status")
    total = sum(Decimal(str(r[amount])) for r in rows if r[status] == "succeeded")
    b = ledger.owned_balances(account_ids=[contract.sub_ledger_account_id])
    assert total == b[contract.sub_ledger_account_id].posted.to_decimal() == Decimal("700.00")

    page.locator(f"tr[data-transaction='{setting['deposit'].public_id}'] a").click()
    expect(page.get_by_test_id("events")).to_contain_text("Ent.Reviewer")
    shot(page, "transaction")
    with page.expect_download() as got:
        page.get_by_test_id("receipt-pdf").click()
    receipt = tmp_path / "receipt.pdf"
    got.value.save_as(receipt)
    assert "1,000.00 CNY" in "\n".join(p.extract_text() for p in PdfReader(str(receipt)).pages)
