"""Statements and receipts to print and download (X-EXPORT): a custody sub-account's
statement for a business-date range — opening balance, every posted movement with its
running balance, closing balance, from the ledger's statement — and the receipt of one
transaction, both as PDF (WeasyPrint, Noto CJK: the member's Chinese name renders).

Who may see the contract sees its statement (:mod:`custodesk.funds.queries` scope);
the range is checked against the history window like the transaction queries.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from uuid import UUID

from custodesk.core.money import Money
from custodesk.core.pdf import render_pdf
from custodesk.identity.models import User
from custodesk.ledger import facade as ledger

from . import queries


def file_name(*parts: object) -> str:
    """A download's file name from its parts: letters, digits, dots, dashes and
    underscores only (a member code is the market's text)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", "-".join(str(p) for p in parts))[:120]


def statement_data(
    *,
    actor: User,
    contract_id: UUID | str,
    date_from: dt.date | None,
    date_to: dt.date | None,
    today: dt.date,
    now: dt.datetime,
) -> dict[str, Any]:
    """The statement of a contract's sub-account (NotFound outside the actor's scope,
    ValidationFailed for a range outside the history window)."""
    c = queries.contract_for(actor=actor, contract_id=contract_id)
    start, end = queries.check_range(date_from, date_to, today=today)
    if c.sub_ledger_account_id is None:  # a signed contract always has one
        raise queries.NotFound(object="contract")
    st = ledger.owned_statement(account_id=c.sub_ledger_account_id, date_from=start, date_to=end)
    kinds = queries.account_kinds({ln.counterparty for ln in st.lines})
    lines = []
    debits = credits = Money(0, c.currency)
    for ln in st.lines:
        credit = ln.credit.minor > 0
        category = queries.category_of(ln.kind, kinds.get(ln.counterparty, ""))
        debits += ln.debit
        credits += ln.credit
        lines.append(
            {
                "transfer_id": ln.transfer_id,
                "reference": str(ln.transfer_id)[-12:],
                "business_date": ln.business_date,
                "created_at": ln.created_at,
                "category": category,
                "description": queries.describe(category, ln.kind, credit),
                "debit": ln.debit.to_decimal() if ln.debit.minor else None,
                "credit": ln.credit.to_decimal() if ln.credit.minor else None,
                "balance": ln.balance.to_decimal(),
            }
        )
    return {
        "contract_id": c.public_id,
        "member_name": c.member.name,
        "member_code": c.member_code,
        "market_code": c.market.code,
        "market_name": c.market.name,
        "sub_account": st.code,
        "currency": c.currency,
        "date_from": st.date_from,
        "date_to": st.date_to,
        "opening": st.opening.to_decimal(),
        "closing": st.closing.to_decimal(),
        "total_debit": debits.to_decimal(),
        "total_credit": credits.to_decimal(),
        "lines": lines,
        "generated_at": now,
    }


def statement_pdf(**kw: Any) -> tuple[str, bytes]:
    """(file name, PDF) of :func:`statement_data`."""
    data = statement_data(**kw)
    name = file_name(
        "statement",
        data["market_code"],
        data["member_code"],
        f"{data['date_from']:%Y%m%d}",
        f"{data['date_to']:%Y%m%d}",
    )
    return name, render_pdf("funds/statement_pdf.html", {"st": data})


def receipt_pdf(txn: dict[str, Any], *, now: dt.datetime) -> tuple[str, bytes]:
    """(file name, PDF) of one transaction's receipt (a row of the transaction detail)."""
    name = file_name("receipt", txn["id"])
    return name, render_pdf("funds/receipt_pdf.html", {"txn": txn, "generated_at": now})
