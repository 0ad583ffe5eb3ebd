"""Transaction queries (TXN-QUERY, 交易明细查询 / 出入金明细): today's or a historical
range of business dates, by class, by status; a detail with every state change; keyset
pages; the rows for the CSV / XLSX downloads, read a page at a time.

Classes (``category``):

* ``funds`` — deposits and withdrawals: :class:`~custodesk.funds.models.FundMovement`
  requests in every state (submitted, approved, sent, unknown, succeeded, failed,
  rejected), each with its state changes;
* ``clearing`` and ``suspense`` — posted ledger transfers of the contracts'
  sub-accounts, classified by the account on the other side (another member's
  sub-account or the bank's clearing account: a trade; the market's suspense account:
  a re-credit of money parked there) — see :func:`custodesk.funds.queries.category_of`.
  Their status is always ``succeeded`` (the ledger lists only what was posted).

Amounts are Decimals in the currency's decimals; ``signed_amount`` is seen from the
member's side (money into its sub-account positive), so the succeeded rows of every
class add up to the sub-account's movement in the ledger.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from custodesk.contracts.models import Contract
from custodesk.core.errors import NotFound, ValidationFailed
from custodesk.core.exports import tabular_response
from custodesk.core.money import Money
from custodesk.identity.models import User
from custodesk.ledger.models import LedgerAccount, LedgerTransfer

from . import queries
from .models import Direction, FundMovement
from .queries import Category

POSTED = ("posted", "post_pending")
MAX_PAGE = 200
EXPORT_CHUNK = 500


@dataclass(frozen=True)
class Filters:
    category: str = Category.FUNDS
    date_from: dt.date | None = None  # None and None: today
    date_to: dt.date | None = None
    direction: str | None = None  # funds only: deposit / withdrawal
    status: str | None = None
    contract_id: UUID | None = None
    market: str | None = None  # market code


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]] = field(default_factory=list)
    next_after: str | None = None  # pass as ``after`` for the next page


def _contracts(actor: User, f: Filters) -> QuerySet[Contract]:
    qs = Contract.objects.filter(queries.contract_scope(actor))
    if f.contract_id:
        qs = qs.filter(public_id=f.contract_id)
    if f.market:
        qs = qs.filter(market__code__iexact=f.market)
    return qs


# -- deposits and withdrawals ------------------------------------------------------------
def _movements(actor: User, f: Filters, start: dt.date, end: dt.date) -> QuerySet[FundMovement]:
    qs = FundMovement.objects.filter(
        contract__in=_contracts(actor, f), business_date__gte=start, business_date__lte=end
    ).select_related("contract", "member", "market")
    if f.direction:
        qs = qs.filter(direction=f.direction)
    if f.status:
        qs = qs.filter(status=f.status)
    return qs


def _decimal(minor: int, currency: str) -> Decimal:
    return Money(minor, currency).to_decimal()


def movement_row(m: FundMovement) -> dict[str, Any]:
    amount = _decimal(m.amount, m.currency)
    deposit = m.direction == Direction.DEPOSIT
    return {
        "id": m.public_id,
        "category": Category.FUNDS,
        "category_label": str(Category.LABELS[Category.FUNDS]),
        "type": m.direction,
        "type_label": m.get_direction_display(),
        "amount": amount,
        "signed_amount": amount if deposit else -amount,
        "currency": m.currency,
        "status": m.status,
        "status_label": m.get_status_display(),
        "business_date": m.business_date,
        "created_at": m.created_at,
        "completed_at": m.completed_at,
        "contract_id": m.contract.public_id,
        "member_code": m.contract.member_code,
        "member_name": m.member.name,
        "market_code": m.market.code,
        "market_name": m.market.name,
        "card": m.card_masked,
        "rail_reference": m.rail_reference,
        "reason": m.reason,
    }


# -- clearing and suspense re-credits (ledger transfers) ---------------------------------------
def _counterparty_q(category: str, side: str) -> Q:
    """Transfers whose ``side`` ("debit" or "credit") account makes them ``category``."""
    if category == Category.SUSPENSE:
        return Q(**{f"{side}_account__kind": LedgerAccount.Kind.MARKET_SUSPENSE})
    return Q(
        **{
            f"{side}_account__kind__in": (
                LedgerAccount.Kind.MEMBER_SUB,
                LedgerAccount.Kind.BANK_CLEARING,
            )
        }
    ) | (
        Q(kind__in=queries.CLEARING_KINDS)
        & ~Q(**{f"{side}_account__kind": LedgerAccount.Kind.MARKET_SUSPENSE})
    )


def _transfers(actor: User, f: Filters, start: dt.date, end: dt.date) -> QuerySet[LedgerTransfer]:
    if f.direction or (f.status and f.status != FundMovement.Status.SUCCEEDED):
        return LedgerTransfer.objects.none()
    subs = _contracts(actor, f).filter(sub_ledger_account_id__isnull=False)
    credit_sub = Exists(subs.filter(sub_ledger_account_id=OuterRef("credit_account_id")))
    debit_sub = Exists(subs.filter(sub_ledger_account_id=OuterRef("debit_account_id")))
    return (
        LedgerTransfer.objects.filter(
            flag__in=POSTED, business_date__gte=start, business_date__lte=end
        )
        .filter(
            (credit_sub & _counterparty_q(f.category, "debit"))
            | (debit_sub & _counterparty_q(f.category, "credit"))
        )
        .select_related("debit_account", "credit_account")
    )


def _contracts_by_account(account_ids: set[int]) -> dict[int, Contract]:
    return {
        c.sub_ledger_account_id: c
        for c in Contract.objects.filter(sub_ledger_account_id__in=account_ids).select_related(
            "member", "market"
        )
        if c.sub_ledger_account_id is not None
    }


def transfer_row(t: LedgerTransfer, by_account: dict[int, Contract]) -> dict[str, Any]:
    """A posted transfer seen from the (visible) sub-account it touches: the credited one
    when both sides are visible sub-accounts."""
    credit = t.credit_account_id in by_account
    mine = by_account[t.credit_account_id if credit else t.debit_account_id]
    other = t.debit_account if credit else t.credit_account
    category = queries.category_of(t.kind, other.kind)
    amount = _decimal(t.amount, t.currency)
    return {
        "id": t.public_id,
        "category": category,
        "category_label": str(Category.LABELS[category]),
        "type": t.kind,
        "type_label": queries.describe(category, t.kind, credit),
        "amount": amount,
        "signed_amount": amount if credit else -amount,
        "currency": t.currency,
        "status": FundMovement.Status.SUCCEEDED.value,
        "status_label": _("Posted"),
        "business_date": t.business_date,
        "created_at": t.created_at,
        "completed_at": t.created_at,
        "contract_id": mine.public_id,
        "member_code": mine.member_code,
        "member_name": mine.member.name,
        "market_code": mine.market.code,
        "market_name": mine.market.name,
        "card": "",
        "rail_reference": "",
        "reason": "",
    }


def _transfer_rows(rows: list[LedgerTransfer], actor: User, f: Filters) -> list[dict[str, Any]]:
    ids = {t.debit_account_id for t in rows} | {t.credit_account_id for t in rows}
    visible = set(
        _contracts(actor, f)
        .filter(sub_ledger_account_id__in=ids)
        .values_list("sub_ledger_account_id", flat=True)
    )
    by_account = {k: c for k, c in _contracts_by_account(ids).items() if k in visible}
    return [transfer_row(t, by_account) for t in rows]


# -- the list ----------------------------------------------------------------------------------
def _after(after: str | None) -> int | None:
    if not after:
        return None
    try:
        value = int(after)
    except ValueError:
        raise ValidationFailed.single("after", "cursor", _("Not a cursor of this list.")) from None
    if value < 1:
        raise ValidationFailed.single("after", "cursor", _("Not a cursor of this list."))
    return value


def transactions(
    *, actor: User, filters: Filters, today: dt.date, after: str | None = None, limit: int = 50
) -> Page:
    """A page of the actor's transactions of one class, newest first.  Raises
    PermissionDenied, ValidationFailed (the date range; ``after``)."""
    queries.require_view(actor)
    start, end = queries.check_range(filters.date_from, filters.date_to, today=today)
    cursor = _after(after)
    size = max(1, min(limit, MAX_PAGE))
    if filters.category == Category.FUNDS:
        mq = _movements(actor, filters, start, end)
        if cursor is not None:
            mq = mq.filter(pk__lt=cursor)
        ms = list(mq.order_by("-id")[: size + 1])
        more, ms = len(ms) > size, ms[:size]
        return Page([movement_row(m) for m in ms], str(ms[-1].pk) if more else None)
    tq = _transfers(actor, filters, start, end)
    if cursor is not None:
        tq = tq.filter(pk__lt=cursor)
    ts = list(tq.order_by("-id")[: size + 1])
    more, ts = len(ts) > size, ts[:size]
    return Page(_transfer_rows(ts, actor, filters), str(ts[-1].pk) if more else None)


def export_rows(*, actor: User, filters: Filters, today: dt.date) -> Iterator[dict[str, Any]]:
    """Every row of the query, oldest first, read :data:`EXPORT_CHUNK` at a time (for
    the downloads: memory stays constant).  Checks permission and range at once."""
    queries.require_view(actor)
    start, end = queries.check_range(filters.date_from, filters.date_to, today=today)

    def generate() -> Iterator[dict[str, Any]]:
        last = 0
        while True:
            if filters.category == Category.FUNDS:
                ms = list(
                    _movements(actor, filters, start, end)
                    .filter(pk__gt=last)
                    .order_by("id")[:EXPORT_CHUNK]
                )
                if not ms:
                    return
                yield from (movement_row(m) for m in ms)
                last = ms[-1].pk
            else:
                ts = list(
                    _transfers(actor, filters, start, end)
                    .filter(pk__gt=last)
                    .order_by("id")[:EXPORT_CHUNK]
                )
                if not ts:
                    return
                yield from _transfer_rows(ts, actor, filters)
                last = ts[-1].pk

    return generate()


def _name(user: User) -> str:
    return user.full_name or user.username


# -- one transaction ------------------------------------------------------------------------
def transaction_detail(*, actor: User, txn_id: UUID | str) -> dict[str, Any]:
    """A deposit or withdrawal with every state change (who, when, from → to, note), or
    a posted transfer of a visible sub-account.  NotFound outside the actor's scope."""
    queries.require_view(actor)
    try:
        pid = UUID(str(txn_id))
    except ValueError:
        raise NotFound(object="transaction") from None
    everything = Filters()
    m = (
        FundMovement.objects.filter(contract__in=_contracts(actor, everything), public_id=pid)
        .select_related("contract", "member", "market", "submitted_by", "approved_by")
        .first()
    )
    if m is not None:
        row = movement_row(m)
        labels = dict(FundMovement.Status.choices)
        row["submitted_by"] = _name(m.submitted_by)
        row["approved_by"] = _name(m.approved_by) if m.approved_by else None
        row["events"] = [
            {
                "at": e.at,
                "by": e.actor_name,
                "from_status": e.from_status,
                "to_status": e.to_status,
                "from_label": str(labels.get(e.from_status, e.from_status)),
                "to_label": str(labels.get(e.to_status, e.to_status)),
                "note": e.note,
            }
            for e in m.events.order_by("at", "id")
        ]
        return row
    subs = _contracts(actor, everything).filter(sub_ledger_account_id__isnull=False)
    t = (
        LedgerTransfer.objects.filter(public_id=pid, flag__in=POSTED)
        .filter(
            Q(credit_account_id__in=subs.values("sub_ledger_account_id"))
            | Q(debit_account_id__in=subs.values("sub_ledger_account_id"))
        )
        .select_related("debit_account", "credit_account")
        .first()
    )
    if t is None:
        raise NotFound(object="transaction")
    row = _transfer_rows([t], actor, everything)[0]
    row["submitted_by"] = None
    row["approved_by"] = None
    row["events"] = [
        {
            "at": t.created_at,
            "by": "ledger",
            "from_status": "",
            "to_status": "succeeded",
            "from_label": "",
            "to_label": str(_("Posted")),
            "note": t.kind,
        }
    ]
    return row


# -- downloads (X-EXPORT) ----------------------------------------------------------------------
EXPORT_COLUMNS = [
    "business_date",
    "time",
    "class",
    "type",
    "market",
    "member_code",
    "member_name",
    "amount",
    "currency",
    "status",
    "bank_reference",
    "transaction",
]


def _export_row(r: dict[str, Any]) -> list[Any]:
    local = timezone.localtime(r["created_at"]).replace(tzinfo=None, microsecond=0)
    return [
        r["business_date"],
        local,
        r["category"],
        r["type"],
        r["market_code"],
        r["member_code"],
        r["member_name"],
        r["signed_amount"],  # the member's side: money in positive, out negative
        r["currency"],
        r["status"],
        r["rail_reference"],
        str(r["id"]),
    ]


def _cell_format(i: int, value: Any) -> str | None:
    if i == 0:
        return "yyyy-mm-dd"
    if i == 1:
        return "yyyy-mm-dd hh:mm:ss"
    if i == 7 and isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        return "#,##0" + ("." + "0" * places if places else "")
    return None


def download(*, actor: User, filters: Filters, today: dt.date, fmt: str) -> StreamingHttpResponse:
    """The query's rows as CSV or XLSX (amounts as numbers in the currency's decimals,
    dates as dates), streamed: the rows are read a chunk at a time."""
    rows = export_rows(actor=actor, filters=filters, today=today)
    start, end = queries.check_range(filters.date_from, filters.date_to, today=today)
    name = f"transactions-{filters.category}-{start:%Y%m%d}-{end:%Y%m%d}"
    return tabular_response(
        EXPORT_COLUMNS,
        (_export_row(r) for r in rows),
        fmt,
        name,
        sheet="transactions",
        cell_format=_cell_format,
    )
