"""Statement downloads (CSV / XLSX) shared by the console and the API."""

from __future__ import annotations

import re
from typing import Any

from django.http import StreamingHttpResponse
from django.utils import timezone

from custodesk.core.exports import tabular_response
from custodesk.core.money import minor_units

from . import selectors
from .models import LedgerAccount
from .templatetags.ledger import to_decimal

STATEMENT_COLUMNS = [
    "business_date",
    "time",
    "kind",
    "counterparty",
    "debit",
    "credit",
    "balance",
    "transfer",
]


def statement_rows(st: selectors.Statement) -> list[list[Any]]:
    """Opening row, one row per posted transfer of the range, closing row; amounts as
    Decimal in the currency's places, times in the local time zone (naive, for Excel)."""

    def dec(minor: int) -> Any:
        return to_decimal(minor, st.currency)

    rows: list[list[Any]] = [[st.date_from, None, "opening", "", None, None, dec(st.opening), ""]]
    for ln in st.lines:
        local = timezone.localtime(ln["created_at"]).replace(tzinfo=None, microsecond=0)
        rows.append(
            [
                ln["business_date"],
                local,
                ln["kind"],
                ln["counterparty"],
                dec(ln["debit"]),
                dec(ln["credit"]),
                dec(ln["balance"]),
                ln["id"],
            ]
        )
    rows.append([st.date_to, None, "closing", "", None, None, dec(st.closing), ""])
    return rows


def _filename(account: LedgerAccount, st: selectors.Statement, fmt: str) -> str:
    code = re.sub(r"[^A-Za-z0-9._-]", "_", account.code)
    return f"statement-{code}-{st.date_from:%Y%m%d}-{st.date_to:%Y%m%d}.{fmt}"


def statement_download(
    account: LedgerAccount, st: selectors.Statement, fmt: str
) -> StreamingHttpResponse:
    places = minor_units(st.currency)
    money_format = "#,##0" + ("." + "0" * places if places else "")

    def cell_format(i: int, value: Any) -> str | None:
        if i == 0:
            return "yyyy-mm-dd"
        if i == 1 and value is not None:
            return "yyyy-mm-dd hh:mm:ss"
        if 4 <= i <= 6 and value is not None:
            return money_format
        return None

    name = _filename(account, st, fmt).rsplit(".", 1)[0]
    return tabular_response(
        STATEMENT_COLUMNS,
        statement_rows(st),
        fmt,
        name,
        sheet="statement",
        cell_format=cell_format,
    )
