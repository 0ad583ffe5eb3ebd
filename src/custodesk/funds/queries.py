"""Member account query (ACCT-QUERY / LEDGER-QUERY, 会员账户查询 / 会员附属台帐查询).

Per signed market: the member code, the market, the custody sub-account's balance,
frozen balance (the holds of withdrawals waiting for their outcome, plus any amount
frozen on the account), available balance and the contract's status; the detail adds
the market's receiving account — the summary account number, name and opening bank a
member writes as the payee of a transfer into custody (入金收款账户).

Scope, by who asks (outside it: 404, never 403):

* a member's users see their own member's contracts (``custody.query.view``);
* a market's users see its members' contracts (``contracts.contract.view``);
* the bank's staff see every contract (``contracts.contract.view``).

The contracts in scope are chosen here; their balances are then read from the ledger
by id (:func:`custodesk.ledger.facade.owned_balances`), as the ledger's own actor scope
would hide a member's sub-account from its market.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, overload
from uuid import UUID

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from custodesk.contracts.models import Contract
from custodesk.core import access
from custodesk.core.errors import FieldError, NotFound, ValidationFailed
from custodesk.core.money import Money
from custodesk.identity.models import Organisation, User
from custodesk.ledger import facade as ledger
from custodesk.ledger.models import LedgerAccount

# the member roles hold it (declared by custodesk.contracts.permissions)
QUERY_VIEW = "custody.query.view"
# markets and the bank's staff: who sees contracts sees their balances
CONTRACT_VIEW = "contracts.contract.view"


def require_view(actor: User) -> None:
    """Raise PermissionDenied unless the actor may use the queries."""
    if actor.organisation.kind == Organisation.Kind.MEMBER:
        access.require(actor, QUERY_VIEW)
    else:
        access.require(actor, CONTRACT_VIEW)


def contract_scope(actor: User, prefix: str = "") -> Q:
    """The contracts ``actor`` sees (``prefix``: the path to the contract, e.g.
    ``"contract__"``)."""
    kind = actor.organisation.kind
    if kind == Organisation.Kind.STAFF:
        return Q()
    if kind == Organisation.Kind.MARKET:
        return Q(**{f"{prefix}market__organisation_id": actor.organisation_id})
    return Q(**{f"{prefix}member__organisation_id": actor.organisation_id})


def visible_contracts(
    *,
    actor: User,
    status: str | None = None,
    market: str | None = None,
    q: str | None = None,
) -> QuerySet[Contract]:
    require_view(actor)
    qs = Contract.objects.filter(contract_scope(actor)).select_related(
        "market", "member", "card", "market__summary_branch"
    )
    if status:
        qs = qs.filter(status=status)
    if market:
        qs = qs.filter(market__code__iexact=market)
    if q:
        qs = qs.filter(Q(member_code__icontains=q) | Q(member__name__icontains=q))
    return qs.order_by("market__code", "member_code", "id")


def contract_for(*, actor: User, contract_id: UUID | str) -> Contract:
    """One contract the actor may see (NotFound otherwise, as for no such contract)."""
    try:
        pid = UUID(str(contract_id))
    except ValueError:
        raise NotFound(object="contract") from None
    c = visible_contracts(actor=actor).filter(public_id=pid).first()
    if c is None:
        raise NotFound(object="contract")
    return c


@dataclass(frozen=True)
class AccountBalances:
    balance: Money
    frozen: Money  # holds waiting for their outcome + amounts frozen on the account
    available: Money
    code: str = ""  # the sub-account's number in the ledger

    @classmethod
    def of(cls, b: ledger.Balances | None, currency: str) -> AccountBalances:
        if b is None:  # no sub-account (never happens for a signed contract)
            zero = Money(0, currency)
            return cls(zero, zero, zero)
        return cls(b.posted, b.pending_debits + b.frozen, b.available, b.code)


def _amount(m: Money) -> str:
    return str(m.to_decimal())


def account_row(c: Contract, b: AccountBalances) -> dict[str, Any]:
    return {
        "id": c.public_id,
        "member_code": c.member_code,
        "member_id": c.member.public_id,
        "member_name": c.member.name,
        "market_id": c.market.public_id,
        "market_code": c.market.code,
        "market_name": c.market.name,
        "currency": c.currency,
        "balance": _amount(b.balance),
        "frozen": _amount(b.frozen),
        "available": _amount(b.available),
        "status": c.status,
        "status_label": c.get_status_display(),
        "signed_at": c.signed_at,
        "cancelled_at": c.cancelled_at,
    }


def receiving_account(c: Contract) -> dict[str, Any]:
    """The market's summary account: the payee a member writes for a transfer in."""
    m = c.market
    branch = m.summary_branch
    return {
        "account_no": m.summary_account_no,
        "account_name": m.summary_account_name,
        "bank": m.summary_bank,
        "branch_code": branch.code if branch else "",
        "branch_name": branch.name if branch else "",
    }


def balances_of(contracts: list[Contract]) -> dict[int, AccountBalances]:
    ids = [c.sub_ledger_account_id for c in contracts if c.sub_ledger_account_id is not None]
    got = ledger.owned_balances(account_ids=ids) if ids else {}
    return {
        c.pk: AccountBalances.of(
            got.get(c.sub_ledger_account_id) if c.sub_ledger_account_id else None, c.currency
        )
        for c in contracts
    }


class AccountRows(Sequence[dict[str, Any]]):
    """The account rows of a list of contracts, balances read for the slice asked only
    (a page: two ledger queries), for the console's and the API's paginators."""

    def __init__(self, contracts: QuerySet[Contract]) -> None:
        self.contracts = contracts

    def __len__(self) -> int:
        return self.contracts.count()

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self[:])

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, int):
            return self[index : index + 1][0]
        rows = list(self.contracts[index])
        b = balances_of(rows)
        return [account_row(c, b[c.pk]) for c in rows]


def accounts(
    *, actor: User, status: str | None = None, market: str | None = None, q: str | None = None
) -> AccountRows:
    """The actor's custody accounts, one per contract (``status`` "active", "cancelled",
    or None for all), by market and member code; filtered by market code and member
    code or name.  Slice it: balances are read for the slice."""
    return AccountRows(visible_contracts(actor=actor, status=status, market=market, q=q))


def account_detail(*, actor: User, contract_id: UUID | str) -> dict[str, Any]:
    """One account: its balances, the sub-account, the bound card and the market's
    receiving account."""
    c = contract_for(actor=actor, contract_id=contract_id)
    b = balances_of([c])[c.pk]
    row = account_row(c, b)
    row["sub_account"] = b.code
    row["card"] = c.card.masked_number
    row["card_bank"] = c.card.bank_code
    row["member_type"] = c.member.member_type
    row["receiving_account"] = receiving_account(c)
    return row


# -- date ranges --------------------------------------------------------------------------
def history_days() -> int:
    """How many days back transactions and statements go (CUSTODESK_FUNDS_HISTORY_DAYS,
    default 365: one year)."""
    return int(getattr(settings, "CUSTODESK_FUNDS_HISTORY_DAYS", 365))


def check_range(
    date_from: dt.date | None, date_to: dt.date | None, *, today: dt.date
) -> tuple[dt.date, dt.date]:
    """The business-date range asked (both default to ``today``), refused with the field
    and the rule: ``date_to`` after today (``not_future``) or before ``date_from``
    (``after_date_from``), ``date_from`` beyond the history window (``history_window``)."""
    start = date_from or date_to or today
    end = date_to or (today if date_from else start)
    oldest = today - dt.timedelta(days=history_days())
    errors = []
    if end > today:
        errors.append(FieldError("date_to", "not_future", _("The end date cannot be after today.")))
    if end < start:
        errors.append(
            FieldError("date_to", "after_date_from", _("The end date is before the start date."))
        )
    if start < oldest:
        errors.append(
            FieldError(
                "date_from",
                "history_window",
                _("History goes back %(days)s days: the earliest start date is %(oldest)s.")
                % {"days": history_days(), "oldest": oldest.isoformat()},
            )
        )
    if errors:
        raise ValidationFailed(errors)
    return start, end


# -- what a ledger movement of a sub-account is ------------------------------------------------
class Category:
    FUNDS = "funds"  # deposits and withdrawals (the market's summary account)
    CLEARING = "clearing"  # trades between members, clearing results
    SUSPENSE = "suspense"  # re-credits from the market's suspense account (挂账)
    OTHER = "other"  # fees and anything else

    LABELS = {
        FUNDS: gettext_lazy("Deposits and withdrawals"),
        CLEARING: gettext_lazy("Clearing"),
        SUSPENSE: gettext_lazy("Suspense re-credits"),
        OTHER: gettext_lazy("Other"),
    }
    CHOICES = (FUNDS, CLEARING, SUSPENSE)


CLEARING_KINDS = ("trade", "clearing", "settlement", "b2b")


def category_of(kind: str, counterparty_kind: str) -> str:
    """A sub-account's movement classified by the ledger account on the other side (the
    custody mapping of the design: deposit/withdrawal ↔ market summary, re-credit ↔
    market suspense, trade ↔ another member's sub-account) or by its transfer code."""
    if counterparty_kind == LedgerAccount.Kind.MARKET_SUSPENSE:
        return Category.SUSPENSE
    if counterparty_kind in (LedgerAccount.Kind.MEMBER_SUB, LedgerAccount.Kind.BANK_CLEARING) or (
        kind in CLEARING_KINDS
    ):
        return Category.CLEARING
    if counterparty_kind == LedgerAccount.Kind.MARKET_SUMMARY:
        return Category.FUNDS
    return Category.OTHER


def describe(category: str, kind: str, credit: bool) -> str:
    """What a statement line says of a movement."""
    if category == Category.FUNDS:
        return _("Deposit") if credit else _("Withdrawal")
    if category == Category.SUSPENSE:
        return _("Suspense re-credit") if credit else _("Back to suspense")
    if category == Category.CLEARING:
        return _("Clearing credit") if credit else _("Clearing debit")
    return kind


def account_kinds(codes: set[str]) -> dict[str, str]:
    """The kind of each ledger account named by code (one query)."""
    return dict(LedgerAccount.objects.filter(code__in=codes).values_list("code", "kind"))
