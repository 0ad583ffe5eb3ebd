"""Console pages of the account and transaction queries (会员账户查询, 交易明细查询,
会员附属台帐查询): the accounts with their balances, an account's detail with the
market's receiving account and its statement (PDF), the transactions of a class with
their downloads (CSV, XLSX), a transaction's detail with every state change and its
receipt (PDF)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from django import forms
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from custodesk.console.decorators import console_view
from custodesk.console.errors import to_form, to_messages
from custodesk.console.paging import paginate
from custodesk.core import clock
from custodesk.core.errors import ValidationFailed
from custodesk.core.pdf import PDF
from custodesk.identity.models import User

from . import queries, statements, transactions
from .models import Direction, FundMovement
from .queries import Category


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _pdf(name: str, data: bytes) -> HttpResponse:
    response = HttpResponse(data, content_type=PDF)
    response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return response


class AccountFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("active", _("In force")), ("cancelled", _("Cancelled")), ("all", _("All"))],
    )
    market = forms.CharField(label=_("Market code"), required=False, max_length=16)
    q = forms.CharField(label=_("Member code or name"), required=False, max_length=100)


class RangeForm(forms.Form):
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class TransactionFilterForm(RangeForm):
    category = forms.ChoiceField(
        label=_("Class"),
        required=False,
        choices=[(c, Category.LABELS[c]) for c in Category.CHOICES],
    )
    period = forms.ChoiceField(
        label=_("Query"),
        required=False,
        choices=[("today", _("Today's transactions")), ("history", _("Historical transactions"))],
    )
    direction = forms.ChoiceField(
        label=_("Direction"), required=False, choices=[("", _("All")), *Direction.choices]
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *FundMovement.Status.choices]
    )
    market = forms.CharField(label=_("Market code"), required=False, max_length=16)
    contract = forms.UUIDField(required=False, widget=forms.HiddenInput)
    after = forms.RegexField(regex=r"^[0-9]{1,18}$", required=False, widget=forms.HiddenInput)

    def filters(self) -> transactions.Filters:
        d = self.cleaned_data
        history = d.get("period") == "history"
        return transactions.Filters(
            category=d.get("category") or Category.FUNDS,
            date_from=d.get("date_from") if history else None,
            date_to=d.get("date_to") if history else None,
            direction=d.get("direction") or None,
            status=d.get("status") or None,
            contract_id=d.get("contract"),
            market=d.get("market") or None,
        )


# -- accounts ------------------------------------------------------------------------------
@console_view
def accounts(request: HttpRequest) -> HttpResponse:
    form = AccountFilterForm(request.GET or None)
    f = form.cleaned_data if form.is_valid() else {}
    status = f.get("status") or "active"
    rows = queries.accounts(
        actor=_user(request),
        status=None if status == "all" else status,
        market=f.get("market") or None,
        q=f.get("q") or None,
    )
    page, size = paginate(request, rows)
    return render(
        request,
        "funds/query_accounts.html",
        {"form": form, "rows": page.object_list, "page": page, "page_size": size},
    )


@console_view
def account(request: HttpRequest, contract_id: UUID) -> HttpResponse:
    user = _user(request)
    detail = queries.account_detail(actor=user, contract_id=contract_id)
    today = clock.business_date()
    form = RangeForm(initial={"date_from": today.replace(day=1), "date_to": today})
    return render(request, "funds/query_account.html", {"a": detail, "form": form})


@console_view
def statement(request: HttpRequest, contract_id: UUID) -> HttpResponseBase:
    """GET ``date_from`` / ``date_to``: the statement PDF; a bad range goes back to the
    account with the reason."""
    user = _user(request)
    form = RangeForm(request.GET)
    if form.is_valid():
        try:
            name, data = statements.statement_pdf(
                actor=user,
                contract_id=contract_id,
                date_from=form.cleaned_data["date_from"],
                date_to=form.cleaned_data["date_to"],
                today=clock.business_date(),
                now=clock.now(),
            )
        except ValidationFailed as exc:
            to_form(form, exc)
        else:
            return _pdf(name, data)
    detail = queries.account_detail(actor=user, contract_id=contract_id)
    return render(request, "funds/query_account.html", {"a": detail, "form": form}, status=422)


# -- transactions --------------------------------------------------------------------------------
def _query_string(request: HttpRequest, **changes: Any) -> str:
    params = {k: v for k, v in request.GET.items() if k not in changes}
    params.update({k: v for k, v in changes.items() if v is not None})
    return urlencode(params)


@console_view
def transaction_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = TransactionFilterForm(request.GET)
    page = transactions.Page()
    status = 200
    if form.is_valid():
        try:
            page = transactions.transactions(
                actor=user,
                filters=form.filters(),
                today=clock.business_date(),
                after=form.cleaned_data.get("after") or None,
                limit=50,
            )
        except ValidationFailed as exc:
            to_form(form, exc)
            status = 422
    else:
        status = 422
    contract = None
    if form.is_valid() and form.cleaned_data.get("contract"):
        contract = queries.account_detail(actor=user, contract_id=form.cleaned_data["contract"])
    return render(
        request,
        "funds/query_transactions.html",
        {
            "form": form,
            "rows": page.items,
            "contract": contract,
            "next_query": _query_string(request, after=page.next_after) if page.next_after else "",
            "csv_query": _query_string(request, after="", format="csv"),
            "xlsx_query": _query_string(request, after="", format="xlsx"),
            "today": clock.business_date(),
            "is_member": user.organisation.kind == "member",
        },
        status=status,
    )


@console_view
def transaction_export(request: HttpRequest) -> HttpResponseBase:
    form = TransactionFilterForm(request.GET)
    fmt = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
    if form.is_valid():
        try:
            return transactions.download(
                actor=_user(request), filters=form.filters(), today=clock.business_date(), fmt=fmt
            )
        except ValidationFailed as exc:
            to_messages(request, exc)
    return redirect(f"{request.path.rsplit('export/', 1)[0]}?{_query_string(request, format=None)}")


@console_view
def transaction(request: HttpRequest, txn_id: UUID) -> HttpResponse:
    txn = transactions.transaction_detail(actor=_user(request), txn_id=txn_id)
    return render(request, "funds/query_transaction.html", {"t": txn})


@console_view
def receipt(request: HttpRequest, txn_id: UUID) -> HttpResponse:
    txn = transactions.transaction_detail(actor=_user(request), txn_id=txn_id)
    name, data = statements.receipt_pdf(txn, now=clock.now())
    return _pdf(name, data)
