"""Console pages of the ledger (X-LEDGER).

Accounts (list, account page with balances, freezes, holds and the statement with
CSV / XLSX downloads; freeze, unfreeze and close with a reason), transfers (keyset
pagination), pending holds and refused attempts.  Amounts stay integer minor units
up to the template, where the ``money`` filter formats them (Decimal, never float).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from custodesk.console.decorators import console_view
from custodesk.console.errors import to_form
from custodesk.console.paging import clean_filters, paginate
from custodesk.core import access, clock
from custodesk.core.errors import DomainError, ValidationFailed
from custodesk.core.ids import parse_public_id
from custodesk.core.money import SUPPORTED_CURRENCIES, Money
from custodesk.identity.models import User
from custodesk.identity.selectors import usernames

from . import errors as E
from . import exports, presenters, selectors, services
from . import permissions as perms
from .forms import (
    AccountFilterForm,
    FreezeFilterForm,
    FreezeForm,
    HoldFilterForm,
    ReasonForm,
    RefusedFilterForm,
    StatementForm,
    TransferFilterForm,
)
from .models import LedgerAccount, LedgerTransfer

STATEMENT_DAYS = 30  # default range: the last 30 business dates up to today's
STATEMENT_SHOWN = 1000  # lines on the page; the downloads carry the whole range
HOLDS_SHOWN = 200  # pending holds on an account page
TRANSFER_PAGE = 50
ACCOUNT_PAGE = 50
REFUSED_SHOWN = 100  # a page of refused attempts
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _viewer(request: HttpRequest) -> User:
    """The signed-in user, who must hold ``ledger.account.view`` (403 page otherwise)."""
    user: User = request.user  # type: ignore[assignment]
    access.require(user, perms.VIEW)
    return user


# -- presentation (plain data for the templates) ---------------------------------------
def _account_row(a: LedgerAccount) -> dict[str, Any]:
    return presenters.account_row(a, selectors.balance(a))


def _freeze_rows(freezes: Any, now: dt.datetime) -> list[dict[str, Any]]:
    """Freezes for display: who placed and released them by user name (a release by the
    expiry job, which has no user, says so)."""
    freezes = list(freezes)
    names = usernames(x for f in freezes for x in (f.placed_by, f.released_by))
    system = _("system")
    return [
        {
            "id": f.public_id,
            "account": f.account.code,
            "currency": f.account.currency,
            "kind": f.kind,
            "kind_label": f.get_kind_display(),
            "amount": f.amount,
            "reason_code": f.reason_code,
            "legal_reference": f.legal_reference,
            "placed_at": f.placed_at,
            "placed_by": names.get(f.placed_by, system) if f.placed_by else system,
            "expires_at": f.expires_at,
            "overdue": f.released_at is None and f.expires_at is not None and f.expires_at <= now,
            "released_at": f.released_at,
            "released_by": (
                names.get(f.released_by, system)
                if f.released_by
                else (_("expiry (system)") if f.release_reason == "expired" else system)
            ),
            "release_reason": f.release_reason,
        }
        for f in freezes
    ]


# -- accounts --------------------------------------------------------------------------
ACCOUNT_FILTERS = ["q", "kind", "currency", "status"]


@console_view
def account_list(request: HttpRequest) -> HttpResponse:
    """Accounts by number, a keyset page at a time (``?after=`` the last code shown):
    balances are computed for the page only, however many accounts there are."""
    actor = _viewer(request)
    filters = clean_filters(request, ACCOUNT_FILTERS)
    after = request.GET.get("after", "").strip() or None
    page = selectors.accounts(actor=actor, filters=filters, after=after, limit=ACCOUNT_PAGE)
    return render(
        request,
        "ledger/account_list.html",
        {
            "rows": presenters.account_rows(page.items),
            "next_after": page.next_after,
            "paged": after is not None,
            "filters": filters,
            "form": AccountFilterForm(),
        },
    )


def _statement_range(request: HttpRequest) -> tuple[StatementForm, dt.date, dt.date]:
    """The statement's business-date range from ?date_from=&date_to= (default: the
    last 30 business dates up to today's); unreadable dates fall back to the default."""
    form = StatementForm(request.GET)
    form.is_valid()
    data = form.cleaned_data
    date_to = data.get("date_to") or clock.business_date()
    date_from = data.get("date_from") or date_to - dt.timedelta(days=STATEMENT_DAYS - 1)
    return form, date_from, date_to


@console_view
def account_detail(request: HttpRequest, code: str) -> HttpResponseBase:
    actor = _viewer(request)
    account = selectors.account_get(actor=actor, code=code)
    range_form, date_from, date_to = _statement_range(request)
    statement = None
    try:
        statement = selectors.statement(account, date_from=date_from, date_to=date_to)
    except ValidationFailed as exc:
        to_form(range_form, exc)
    fmt = request.GET.get("export")
    if statement is not None and fmt in {"csv", "xlsx"}:
        return exports.statement_download(account, statement, fmt)
    now = clock.now()
    can_freeze = actor.has_permission(perms.FREEZE)
    holds = [
        presenters.transfer_row(t, now=now)
        for t in selectors.pending_holds(actor=actor, account=account)[: HOLDS_SHOWN + 1]
    ]
    context = {
        "account": _account_row(account),
        "freezes": _freeze_rows(selectors.active_freezes(account).select_related("account"), now),
        "holds": holds[:HOLDS_SHOWN],
        "holds_more": len(holds) > HOLDS_SHOWN,
        "statement": statement,
        "lines": statement.lines[:STATEMENT_SHOWN] if statement else [],
        "lines_cut": bool(statement and len(statement.lines) > STATEMENT_SHOWN),
        "range_form": range_form,
        "date_from": date_from,
        "date_to": date_to,
        "can_freeze": can_freeze and account.status == LedgerAccount.Status.OPEN,
        "can_unfreeze": can_freeze,
        "can_close": actor.has_permission(perms.ACCOUNT_MANAGE)
        and account.status == LedgerAccount.Status.OPEN,
        "freeze_form": FreezeForm(),
    }
    return render(request, "ledger/account_detail.html", context)


# -- statement downloads -----------------------------------------------------------------
# -- freeze, unfreeze, close -------------------------------------------------------------
@console_view
def freeze_place(request: HttpRequest, code: str) -> HttpResponse:
    """The freeze form: on the account page (GET here shows it alone) and its errors."""
    actor = _viewer(request)
    access.require(actor, perms.FREEZE)
    account = selectors.account_get(actor=actor, code=code)
    form = FreezeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            amount = (
                Money.from_decimal(data["amount"], account.currency, field="amount").minor
                if data["amount"] is not None
                else None
            )
            services.freeze_place(
                actor=actor,
                account_id=account.pk,
                kind=data["kind"],
                amount=amount,
                reason_code=data["reason_code"],
                legal_reference=data["legal_reference"],
                expires_at=data["expires_at"],
                now=clock.now(),
            )
        except DomainError as exc:
            to_form(form, exc)
        else:
            messages.success(request, _("The freeze has been placed."))
            return redirect("console:ledger_account", code=account.code)
    return render(request, "ledger/freeze.html", {"account": _account_row(account), "form": form})


@console_view
def freeze_release(request: HttpRequest, code: str, freeze_id: str) -> HttpResponse:
    """Unfreeze: confirmation page with a reason (GET), release (POST)."""
    actor = _viewer(request)
    access.require(actor, perms.FREEZE)
    account = selectors.account_get(actor=actor, code=code)
    freeze = selectors.active_freezes(account).filter(public_id=freeze_id).first()
    if freeze is None:
        messages.info(request, _("This freeze is no longer active."))
        return redirect("console:ledger_account", code=account.code)
    return _confirm_with_reason(
        request,
        account,
        run=lambda reason: services.freeze_release(
            actor=actor, freeze_id=freeze.public_id, reason=reason, now=clock.now()
        ),
        done=_("The freeze has been released."),
        context={
            "freeze": _freeze_rows([freeze], clock.now())[0],
            "title": _("Unfreeze"),
            "danger": False,
            "testid": "unfreeze",
        },
    )


def _confirm_with_reason(
    request: HttpRequest,
    account: LedgerAccount,
    *,
    run: Any,
    done: str,
    context: dict[str, Any],
) -> HttpResponse:
    """A sensitive action on an account: confirmation page with a reason (GET), the one
    service call (POST), its errors on the form, back to the account when done."""
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            run(form.cleaned_data["reason"])
        except DomainError as exc:
            to_form(form, exc)
        else:
            messages.success(request, done)
            return redirect("console:ledger_account", code=account.code)
    return render(
        request,
        "ledger/confirm.html",
        {"account": _account_row(account), "form": form, **context},
    )


@console_view
def account_close(request: HttpRequest, code: str) -> HttpResponse:
    """Close: confirmation page with a reason (GET), close (POST); only a zero balance
    with nothing pending or frozen can be closed (the service says so otherwise)."""
    actor = _viewer(request)
    access.require(actor, perms.ACCOUNT_MANAGE)
    account = selectors.account_get(actor=actor, code=code)
    return _confirm_with_reason(
        request,
        account,
        run=lambda reason: services.account_close(
            actor=actor, account_id=account.pk, reason=reason, now=clock.now()
        ),
        done=_("The account is closed."),
        context={"title": _("Close account"), "danger": True, "testid": "close"},
    )


# -- transfers (keyset) ---------------------------------------------------------------------
def _transfer_filters(form: TransferFilterForm) -> dict[str, Any]:
    """Valid filters for ``selectors.transfers``: amounts → minor units of the chosen
    currency (every supported currency has 2 places, so HKD stands in when none is)."""
    form.is_valid()
    filters = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
    currency = filters.get("currency") or SUPPORTED_CURRENCIES[0]
    for key in ("amount_min", "amount_max"):
        if key in filters:
            try:
                filters[key] = Money.from_decimal(filters[key], currency, field=key).minor
            except ValidationFailed as exc:
                to_form(form, exc)
                filters.pop(key)
    if "metadata_key" not in filters:
        filters.pop("metadata_value", None)
    return filters


@console_view
def transfer_list(request: HttpRequest) -> HttpResponse:
    actor = _viewer(request)
    form = TransferFilterForm(request.GET)
    filters = _transfer_filters(form)
    after = request.GET.get("after", "").strip()
    after_id = None
    if after:
        pid = parse_public_id(after)
        after_id = (
            LedgerTransfer.objects.filter(public_id=pid).values_list("pk", flat=True).first()
            if pid
            else None
        )
        if after_id is None:
            messages.warning(request, _("Unknown page marker: showing the newest transfers."))
    rows = selectors.transfers(
        actor=actor, filters=filters, after_id=after_id, limit=TRANSFER_PAGE + 1
    )
    more = len(rows) > TRANSFER_PAGE
    rows = rows[:TRANSFER_PAGE]
    now = clock.now()
    return render(
        request,
        "ledger/transfer_list.html",
        {
            "rows": [presenters.transfer_row(t, now=now) for t in rows],
            "next_after": rows[-1].public_id if more else None,
            "paged": after_id is not None,
            "form": form,
            "filters": clean_filters(request, list(TransferFilterForm.base_fields)),
        },
    )


# -- freezes, holds and refused attempts ------------------------------------------------
FREEZE_FILTERS = ["status", "kind", "account"]


@console_view
def freeze_list(request: HttpRequest) -> HttpResponse:
    """Freezes across accounts: the active ones soonest expiry first (what lifts next),
    or the released ones with who released them and why."""
    actor = _viewer(request)
    form = FreezeFilterForm(request.GET)
    form.is_valid()
    filters = {k: v for k, v in form.cleaned_data.items() if v}
    page, size = paginate(request, selectors.freezes(actor=actor, filters=filters))
    return render(
        request,
        "ledger/freeze_list.html",
        {
            "page": page,
            "page_size": size,
            "rows": _freeze_rows(page, clock.now()),
            "form": form,
            "status": filters.get("status", "active"),
            "filters": clean_filters(request, FREEZE_FILTERS),
        },
    )


# -- holds and refused attempts -----------------------------------------------------------
@console_view
def hold_list(request: HttpRequest) -> HttpResponse:
    actor = _viewer(request)
    form = HoldFilterForm(request.GET)
    form.is_valid()
    code = form.cleaned_data.get("account")
    holds: Any = LedgerTransfer.objects.none()
    try:
        account = selectors.account_get(actor=actor, code=code) if code else None
    except E.AccountNotFound as exc:
        form.add_error("account", str(exc.title))
    else:
        holds = selectors.pending_holds(actor=actor, account=account)
    page, size = paginate(request, holds)
    now = clock.now()
    return render(
        request,
        "ledger/hold_list.html",
        {
            "page": page,
            "page_size": size,
            "rows": [presenters.transfer_row(t, now=now) for t in page],
            "form": form,
            "filters": clean_filters(request, ["account"]),
        },
    )


def _refusal_titles() -> dict[str, Any]:
    classes: list[type[DomainError]] = [
        *E.LedgerRefusal.__subclasses__(),
        E.IdempotencyConflict,
        E.AccountNotFound,
    ]
    return {c.code: c.title for c in classes}


@console_view
def refused_list(request: HttpRequest) -> HttpResponse:
    """Refused attempts, newest first (keyset pages): when, who asked, what for, why."""
    actor = _viewer(request)
    form = RefusedFilterForm(request.GET)
    form.is_valid()
    filters: dict[str, Any] = {
        k: v for k, v in form.cleaned_data.items() if v and k not in ("account", "requested_by")
    }
    account = form.cleaned_data.get("account")
    if account:
        try:
            filters["account_id"] = selectors.account_get(actor=actor, code=account).pk
        except E.AccountNotFound as exc:
            form.add_error("account", str(exc.title))
    who = form.cleaned_data.get("requested_by")
    if who:
        found = User.objects.filter(username=who).values_list("pk", flat=True).first()
        if found is None:
            form.add_error("requested_by", _("No such user."))
        filters["requested_by"] = found or -1
    after = request.GET.get("after", "").strip()
    after_id = int(after) if after.isascii() and after.isdigit() and len(after) < 19 else None
    rows: list[Any] = []
    if not form.errors:
        rows = selectors.refused(
            actor=actor, filters=filters, limit=REFUSED_SHOWN + 1, after_id=after_id
        )
    more = len(rows) > REFUSED_SHOWN
    rows = rows[:REFUSED_SHOWN]
    titles = _refusal_titles()
    shown = []
    for r in selectors.refused_rows(rows):
        title = titles.get(r["code"], "")
        shown.append({**r, "title": "" if str(title) == r["detail"] else title})
    return render(
        request,
        "ledger/refused_list.html",
        {
            "rows": shown,
            "next_after": rows[-1].pk if more else None,
            "paged": after_id is not None,
            "form": form,
            "filters": clean_filters(request, list(RefusedFilterForm.base_fields)),
            "codes": sorted(titles.items()),
        },
    )
