"""Ledger reads: balances (now and as of a past moment), statements, account and transfer
lists — each scoped to what the actor may see.

**Scope.** Staff (users of the staff organisation) see every account; any other user
sees the accounts owned by its own organisation (``LedgerAccount.organisation_id``, the
organisation of the owner reference) and the transfers, holds, freezes and refused
attempts that touch them.  What lies outside is *not found*, never 403.  The selectors
check no permission: the ledger's own API and console require the staff-only
``ledger.*`` permissions before calling them, and other modules (custody, broker) check
their own before showing a member its accounts (through :mod:`custodesk.ledger.facade`).

Filters are plain dicts of already-validated values (the API's ninja schemas and the
console's forms validate them); lists that grow without end are keyset-paginated.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.db.models import F, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from custodesk.core.errors import NotFound, ValidationFailed

from . import errors as E
from .models import AccountFreeze, AccountShard, LedgerAccount, LedgerTransfer, RefusedTransfer
from .services import counters

if TYPE_CHECKING:
    from custodesk.identity.models import User

POSTED_FLAGS = ("posted", "post_pending")
MAX_PAGE = 1000


# -- scope -------------------------------------------------------------------------------
def scope_organisation(actor: User) -> int | None:
    """The organisation whose accounts ``actor`` sees, or None when it sees every account
    (staff)."""
    return None if actor.is_staff_member() else int(actor.organisation_id)


def visible_accounts(actor: User) -> QuerySet[LedgerAccount]:
    """The accounts ``actor`` may see: staff all, anyone else its organisation's."""
    org = scope_organisation(actor)
    qs = LedgerAccount.objects.all()
    return qs if org is None else qs.filter(organisation_id=org)


def _touching(actor: User, debit: str, credit: str) -> Q:
    """Rows whose ``debit``/``credit`` account the actor may see (all for staff)."""
    org = scope_organisation(actor)
    if org is None:
        return Q()
    ids = LedgerAccount.objects.filter(organisation_id=org).values("pk")
    return Q(**{f"{debit}__in": ids}) | Q(**{f"{credit}__in": ids})


@dataclass(frozen=True)
class Balance:
    account: str
    currency: str
    debits_posted: int
    credits_posted: int
    debits_pending: int
    credits_pending: int
    frozen_amount: int
    as_of: dt.datetime | None

    @property
    def balance(self) -> int:
        """Credit-normal net (what the ledger owes the owner): credits − debits posted."""
        return self.credits_posted - self.debits_posted

    @property
    def available(self) -> int:
        return self.balance - self.debits_pending - self.frozen_amount

    def as_dict(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "currency": self.currency,
            "debits_posted": self.debits_posted,
            "credits_posted": self.credits_posted,
            "debits_pending": self.debits_pending,
            "credits_pending": self.credits_pending,
            "frozen_amount": self.frozen_amount,
            "balance": self.balance,
            "available": self.available,
            "as_of": self.as_of,
        }


def account_get(
    *, actor: User, public_id: Any = None, code: str | None = None, pk: int | None = None
) -> LedgerAccount:
    """One account by public id, code or internal id; ``AccountNotFound`` when there is
    none the actor may see."""
    qs = visible_accounts(actor)
    if public_id:
        qs = qs.filter(public_id=public_id)
    elif pk is not None:
        qs = qs.filter(pk=pk)
    else:
        qs = qs.filter(code=code)
    a = qs.first()
    if a is None:
        raise E.AccountNotFound(account=str(public_id or code or pk))
    return a


def _sum(qs: QuerySet[LedgerTransfer]) -> int:
    return int(qs.aggregate(s=Sum("amount"))["s"] or 0)


def _frozen_at(a: LedgerAccount, at: dt.datetime) -> int:
    return int(
        AccountFreeze.objects.filter(account=a, kind="amount", placed_at__lte=at)
        .filter(Q(released_at__isnull=True) | Q(released_at__gt=at))
        .aggregate(s=Sum("amount"))["s"]
        or 0
    )


def balance(a: LedgerAccount, *, as_of: dt.datetime | None = None) -> Balance:
    """Now: from the counters.  ``as_of``: recomputed from the transfers booked up to then
    (a hold counts as pending until the transfer that posted or voided it)."""
    if as_of is None:
        dp, cp, dpe, cpe = counters(a)
        return Balance(a.code, a.currency, dp, cp, dpe, cpe, a.frozen_amount, None)
    upto = LedgerTransfer.objects.filter(created_at__lte=as_of)
    posted = upto.filter(flag__in=POSTED_FLAGS)
    unresolved = upto.filter(flag="pending").exclude(resolutions__created_at__lte=as_of)
    return Balance(
        a.code,
        a.currency,
        _sum(posted.filter(debit_account=a)),
        _sum(posted.filter(credit_account=a)),
        _sum(unresolved.filter(debit_account=a)),
        _sum(unresolved.filter(credit_account=a)),
        _frozen_at(a, as_of),
        as_of,
    )


def balances(accounts: Sequence[LedgerAccount]) -> dict[int, Balance]:
    """Balances now of several accounts (a page of a list): from the counters in the rows
    in hand, plus one query for the shards of the hot accounts among them."""
    hot = [a.pk for a in accounts if a.hot]
    shards: dict[int, tuple[int, int, int, int]] = {}
    if hot:
        for row in (
            AccountShard.objects.filter(account_id__in=hot)
            .values("account_id")
            .annotate(
                dp=Sum("debits_posted"),
                cp=Sum("credits_posted"),
                dpe=Sum("debits_pending"),
                cpe=Sum("credits_pending"),
            )
        ):
            shards[row["account_id"]] = (row["dp"], row["cp"], row["dpe"], row["cpe"])
    out = {}
    for a in accounts:
        sdp, scp, sdpe, scpe = shards.get(a.pk, (0, 0, 0, 0))
        out[a.pk] = Balance(
            a.code,
            a.currency,
            a.debits_posted + int(sdp),
            a.credits_posted + int(scp),
            a.debits_pending + int(sdpe),
            a.credits_pending + int(scpe),
            a.frozen_amount,
            None,
        )
    return out


@dataclass(frozen=True)
class Statement:
    account: str
    currency: str
    date_from: dt.date
    date_to: dt.date
    opening: int
    closing: int
    lines: list[dict[str, Any]]


def statement(a: LedgerAccount, *, date_from: dt.date, date_to: dt.date) -> Statement:
    """Posted movements by **business date** (inclusive range), with running balance.

    Balances are credit-normal (credits − debits), as a member or client reads them.
    """
    if date_to < date_from:
        raise ValidationFailed.single(
            "date_to", "after_date_from", _("date_to is before date_from")
        )
    posted = LedgerTransfer.objects.filter(flag__in=POSTED_FLAGS).filter(
        Q(debit_account=a) | Q(credit_account=a)
    )
    before = posted.filter(business_date__lt=date_from)
    opening = _sum(before.filter(credit_account=a)) - _sum(before.filter(debit_account=a))
    running = opening
    lines = []
    for t in (
        posted.filter(business_date__gte=date_from, business_date__lte=date_to)
        .select_related("debit_account", "credit_account")
        .order_by("business_date", "id")
    ):
        credit = t.credit_account_id == a.pk
        running += t.amount if credit else -t.amount
        lines.append(
            {
                "id": str(t.public_id),
                "business_date": t.business_date,
                "created_at": t.created_at,
                "kind": t.kind,
                "counterparty": t.debit_account.code if credit else t.credit_account.code,
                "debit": 0 if credit else t.amount,
                "credit": t.amount if credit else 0,
                "balance": running,
                "metadata": t.metadata,
            }
        )
    return Statement(a.code, a.currency, date_from, date_to, opening, running, lines)


def transfers(
    *,
    actor: User,
    filters: dict[str, Any] | None = None,
    after_id: int | None = None,
    limit: int = 100,
) -> list[LedgerTransfer]:
    """Transfers touching an account the actor sees, newest first, keyset-paginated on the
    id (``after_id``: the last id of the previous page)."""
    f = filters or {}
    qs = LedgerTransfer.objects.select_related("debit_account", "credit_account", "pending").filter(
        _touching(actor, "debit_account_id", "credit_account_id")
    )
    if f.get("account"):
        qs = qs.filter(Q(debit_account__code=f["account"]) | Q(credit_account__code=f["account"]))
    if f.get("kind"):
        qs = qs.filter(kind=f["kind"])
    if f.get("flag"):
        qs = qs.filter(flag=f["flag"])
    if f.get("pending_state"):
        qs = qs.filter(pending_state=f["pending_state"])
    if f.get("currency"):
        qs = qs.filter(currency=f["currency"])
    if f.get("date_from"):
        qs = qs.filter(business_date__gte=f["date_from"])
    if f.get("date_to"):
        qs = qs.filter(business_date__lte=f["date_to"])
    if f.get("amount_min") is not None:
        qs = qs.filter(amount__gte=f["amount_min"])
    if f.get("amount_max") is not None:
        qs = qs.filter(amount__lte=f["amount_max"])
    if f.get("metadata_key"):
        key = f["metadata_key"]
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", key) or "__" in key:
            # the key becomes part of an ORM lookup path: never let "__" through
            raise ValidationFailed.single(
                "metadata_key",
                "pattern",
                _("Letters, digits, dots, dashes and single underscores only."),
            )
        qs = _with_metadata(qs, key, f.get("metadata_value"))
    if f.get("idempotency_key"):  # the partial unique index on the key serves it
        qs = qs.filter(idempotency_key=f["idempotency_key"])
    if after_id is not None:
        qs = qs.filter(pk__lt=after_id)
    return list(qs.order_by("-id")[: max(1, min(limit, MAX_PAGE))])


def transfer_get(*, actor: User, public_id: Any) -> LedgerTransfer:
    """One transfer the actor may see (``NotFound`` otherwise)."""
    t = (
        LedgerTransfer.objects.select_related("debit_account", "credit_account", "pending")
        .filter(_touching(actor, "debit_account_id", "credit_account_id"))
        .filter(public_id=public_id)
        .first()
    )
    if t is None:
        raise NotFound(object="transfer")
    return t


def hold_get(*, actor: User, public_id: Any) -> LedgerTransfer:
    """A hold (a pending transfer, resolved or not) the actor may see
    (``PendingNotFound`` otherwise)."""
    t = (
        LedgerTransfer.objects.filter(public_id=public_id, flag=LedgerTransfer.Flag.PENDING)
        .filter(_touching(actor, "debit_account_id", "credit_account_id"))
        .first()
    )
    if t is None:
        raise E.PendingNotFound(transfer=str(public_id))
    return t


def refused(
    *,
    actor: User,
    filters: dict[str, Any] | None = None,
    limit: int = 100,
    after_id: int | None = None,
) -> list[RefusedTransfer]:
    """Refused attempts naming an account the actor sees, newest first; keyset:
    ``after_id`` = the last id of the previous page.  Filters: ``code``, ``account_id``
    (either side), ``requested_by`` (a user id), ``date_from``/``date_to`` (the local day
    they were refused)."""
    f = filters or {}
    qs = RefusedTransfer.objects.filter(_touching(actor, "debit_account_id", "credit_account_id"))
    if f.get("code"):
        qs = qs.filter(code=f["code"])
    if f.get("account_id"):
        qs = qs.filter(Q(debit_account_id=f["account_id"]) | Q(credit_account_id=f["account_id"]))
    if f.get("requested_by"):
        qs = qs.filter(requested_by=f["requested_by"])
    if f.get("date_from"):
        qs = qs.filter(created_at__gte=_day_start(f["date_from"]))
    if f.get("date_to"):
        qs = qs.filter(created_at__lt=_day_start(f["date_to"] + dt.timedelta(days=1)))
    if after_id is not None:
        qs = qs.filter(pk__lt=after_id)
    return list(qs.order_by("-id")[: max(1, min(limit, MAX_PAGE))])


def refused_rows(rows: list[RefusedTransfer]) -> list[dict[str, Any]]:
    """What an auditor reads of each attempt: when, who asked, the accounts by number,
    the amount and kind asked for (from the stored request), the code and why."""
    from custodesk.identity.selectors import usernames

    ids = {i for r in rows for i in (r.debit_account_id, r.credit_account_id) if i}
    codes: dict[int | None, str] = dict(
        LedgerAccount.objects.filter(pk__in=ids).values_list("pk", "code")
    )
    names = usernames(r.requested_by for r in rows)
    out = []
    for r in rows:
        asked = _stored_request(r.request)
        out.append(
            {
                "id": r.pk,
                "created_at": r.created_at,
                "code": r.code,
                "detail": r.detail,
                "requested_by": names.get(r.requested_by) if r.requested_by else None,
                "debit_account": codes.get(r.debit_account_id),
                "credit_account": codes.get(r.credit_account_id),
                "amount": asked.get("amount") if isinstance(asked.get("amount"), int) else None,
                "currency": asked.get("currency") or "",
                "flag": asked.get("flag") or "",
                "kind": asked.get("kind") or "",
                "idempotency_key": r.idempotency_key or asked.get("idempotency_key"),
                "replay_of": r.replay_of_id,
                "request": asked,
            }
        )
    return out


def _with_metadata(
    qs: QuerySet[LedgerTransfer], key: str, value: str | None
) -> QuerySet[LedgerTransfer]:
    """Transfers whose metadata has ``key`` (equal to ``value``, if given).  On PostgreSQL
    asked as containment / key existence among non-empty metadata, which the partial GIN
    index ``ledger_transfer_metadata`` (migration 0008) serves; SQLite reads the table."""
    if connection.vendor == "postgresql":
        qs = qs.exclude(metadata={})  # the index's predicate
        if value is not None:
            return qs.filter(metadata__contains={key: value})
        return qs.filter(metadata__has_key=key)
    if value is not None:
        return qs.filter(**{f"metadata__{key}": value})
    return qs.filter(metadata__has_key=key)


def _stored_request(raw: Any) -> dict[str, Any]:
    if isinstance(raw, str):  # a JSON text on some backends
        try:
            raw = json.loads(raw)
        except ValueError:
            return {}
    return raw if isinstance(raw, dict) else {}


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=timezone.get_current_timezone())


@dataclass(frozen=True)
class AccountPage:
    """A page of accounts by account number, each with its balance now; ``next_after``:
    the code to pass as ``after`` for the next page (None: this is the last one)."""

    items: list[tuple[LedgerAccount, Balance]]
    next_after: str | None


def accounts(
    *,
    actor: User,
    filters: dict[str, Any] | None = None,
    after: str | None = None,
    limit: int = 50,
) -> AccountPage:
    """Accounts the actor sees, by account number, keyset-paginated on it (``after``: the
    last code of the previous page).  The page is cut first and balances are computed
    for its rows only, so the cost does not grow with the number of accounts.  Filters:
    ``kind``, ``currency``, ``status``, ``owner_id`` (exact), ``q`` (in code or name)."""
    f = filters or {}
    qs = visible_accounts(actor)
    for field in ("kind", "currency", "status", "owner_id"):
        if f.get(field):
            qs = qs.filter(**{field: f[field]})
    if f.get("q"):
        qs = qs.filter(Q(code__icontains=f["q"]) | Q(name__icontains=f["q"]))
    if after:
        qs = qs.filter(code__gt=after)
    size = max(1, min(limit, MAX_PAGE))
    rows = list(qs.order_by("code")[: size + 1])
    page = rows[:size]
    found = balances(page)
    return AccountPage(
        items=[(a, found[a.pk]) for a in page],
        next_after=page[-1].code if len(rows) > size else None,
    )


def active_freezes(a: LedgerAccount) -> QuerySet[AccountFreeze]:
    return AccountFreeze.objects.filter(account=a, released_at__isnull=True).order_by("-placed_at")


def freezes(*, actor: User, filters: dict[str, Any]) -> QuerySet[AccountFreeze]:
    """Freezes on accounts the actor sees.  ``status``: active (default; soonest expiry
    first, those without one last), released (latest release first) or all (latest
    placed first); ``kind``; ``account`` (a code)."""
    qs = AccountFreeze.objects.select_related("account")
    org = scope_organisation(actor)
    if org is not None:
        qs = qs.filter(account__organisation_id=org)
    status = filters.get("status") or "active"
    if filters.get("kind"):
        qs = qs.filter(kind=filters["kind"])
    if filters.get("account"):
        qs = qs.filter(account__code=filters["account"])
    if status == "active":
        return qs.filter(released_at__isnull=True).order_by(
            F("expires_at").asc(nulls_last=True), "-placed_at", "-id"
        )
    if status == "released":
        return qs.filter(released_at__isnull=False).order_by("-released_at", "-id")
    return qs.order_by("-placed_at", "-id")


def pending_holds(*, actor: User, account: LedgerAccount | None = None) -> QuerySet[LedgerTransfer]:
    """Holds still open on accounts the actor sees (one account's, if given), by expiry."""
    qs = (
        LedgerTransfer.objects.filter(flag="pending", pending_state="pending")
        .filter(_touching(actor, "debit_account_id", "credit_account_id"))
        .select_related("debit_account", "credit_account")
    )
    if account is not None:
        qs = qs.filter(Q(debit_account=account) | Q(credit_account=account))
    return qs.order_by("timeout_at", "id")
