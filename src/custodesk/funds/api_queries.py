"""Account and transaction queries, statements and receipts (/api/v1/funds/accounts…,
/api/v1/funds/transactions…): ACCT-QUERY / LEDGER-QUERY, TXN-QUERY, X-EXPORT.

Members see their own contracts, a market its members', the bank's staff all; anything
else is 404.  Date ranges are business dates, at most ``CUSTODESK_FUNDS_HISTORY_DAYS``
back (422 ``date_from`` ``history_window``).  Downloads: ``…/export?format=csv|xlsx``,
``…/statement.pdf``, ``…/receipt.pdf``.
"""

from typing import Any, Literal
from uuid import UUID

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from ninja import Query, Router
from ninja.pagination import paginate

from custodesk.core import clock
from custodesk.core.apiauth import actor, auth
from custodesk.core.pdf import PDF
from custodesk.core.schema_types import Pages, download

from . import queries, statements, transactions
from .schemas_queries import (
    CustodyAccountDetailOut,
    CustodyAccountFilters,
    CustodyAccountOut,
    CustodyStatementQuery,
    TransactionDetailOut,
    TransactionFilters,
    TransactionPageOut,
    TransactionPageQuery,
)

router = Router(auth=auth, tags=["funds queries"])

PDF_RESPONSE = {
    "responses": {
        200: {
            "description": "The PDF",
            "content": {PDF: {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


def filters_of(f: TransactionFilters) -> transactions.Filters:
    today = f.period == "today"
    return transactions.Filters(
        category=f.category,
        date_from=None if today else f.date_from,
        date_to=None if today else f.date_to,
        direction=f.direction,
        status=f.status,
        contract_id=f.contract_id,
        market=f.market,
    )


def pdf_response(name: str, data: bytes) -> HttpResponse:
    response = HttpResponse(data, content_type=PDF)
    response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return response


@router.get("/accounts", response=list[CustodyAccountOut])
@paginate(Pages, page_size=50)
def accounts(request: HttpRequest, filters: Query[CustodyAccountFilters]) -> Any:
    """The custody accounts (one per contract): balance, frozen, available, status; by
    market code and member code; ``q`` finds a member code or name."""
    status = None if filters.status == "all" else filters.status
    return queries.accounts(actor=actor(request), status=status, market=filters.market, q=filters.q)


@router.get("/accounts/{contract_id}", response=CustodyAccountDetailOut)
def account(request: HttpRequest, contract_id: UUID) -> Any:
    """One account, with the market's receiving account for transfers in."""
    return queries.account_detail(actor=actor(request), contract_id=contract_id)


@router.get(
    "/accounts/{contract_id}/statement.pdf", response={200: None}, openapi_extra=PDF_RESPONSE
)
def statement(
    request: HttpRequest, contract_id: UUID, q: Query[CustodyStatementQuery]
) -> HttpResponse:
    """The sub-account's statement for a range of business dates, as PDF."""
    name, data = statements.statement_pdf(
        actor=actor(request),
        contract_id=contract_id,
        date_from=q.date_from,
        date_to=q.date_to,
        today=clock.business_date(),
        now=clock.now(),
    )
    return pdf_response(name, data)


@router.get("/transactions", response=TransactionPageOut)
def transaction_list(
    request: HttpRequest, filters: Query[TransactionFilters], page: Query[TransactionPageQuery]
) -> Any:
    """Transactions of one class, newest first, a keyset page at a time."""
    got = transactions.transactions(
        actor=actor(request),
        filters=filters_of(filters),
        today=clock.business_date(),
        after=page.after,
        limit=page.limit,
    )
    return {"items": got.items, "next_after": got.next_after}


@router.get("/transactions/export", response={200: None}, openapi_extra=download())
def transaction_export(
    request: HttpRequest,
    filters: Query[TransactionFilters],
    format: Literal["csv", "xlsx"] = "csv",
) -> StreamingHttpResponse:
    """The query's every row as CSV or XLSX (amounts as numbers, dates as dates)."""
    return transactions.download(
        actor=actor(request), filters=filters_of(filters), today=clock.business_date(), fmt=format
    )


@router.get("/transactions/{txn_id}", response=TransactionDetailOut)
def transaction(request: HttpRequest, txn_id: UUID) -> Any:
    """One transaction with every state change."""
    return transactions.transaction_detail(actor=actor(request), txn_id=txn_id)


@router.get("/transactions/{txn_id}/receipt.pdf", response={200: None}, openapi_extra=PDF_RESPONSE)
def receipt(request: HttpRequest, txn_id: UUID) -> HttpResponse:
    """One transaction's receipt, as PDF."""
    txn = transactions.transaction_detail(actor=actor(request), txn_id=txn_id)
    name, data = statements.receipt_pdf(txn, now=clock.now())
    return pdf_response(name, data)
