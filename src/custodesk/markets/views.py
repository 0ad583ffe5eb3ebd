"""Console pages of the trading markets (MKT-ADMIN).

Staff: list, detail, new, edit, suspend / reactivate (each submitted to the approval
engine: the page says "submitted for review" and links the request), publish an
agreement version.  A market's own users: their market's page ("My trading market");
any other market is 404."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from custodesk.approvals import services as approvals
from custodesk.console.decorators import console_view
from custodesk.console.errors import to_form
from custodesk.console.paging import clean_filters, paginate
from custodesk.core import access, clock
from custodesk.core.errors import DomainError
from custodesk.identity.models import User

from . import permissions as perms
from . import selectors, services
from .approvals import MARKET_CREATE, MARKET_REACTIVATE, MARKET_SUSPEND, MARKET_UPDATE
from .forms import (
    AgreementForm,
    MarketCreateForm,
    MarketFieldsForm,
    OptionalReasonForm,
    ReasonForm,
)
from .models import Market

FILTERS = ["q", "status"]


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _row(m: Market) -> dict[str, Any]:
    return {
        "id": m.public_id,
        "code": m.code,
        "name": m.name,
        "status": m.status,
        "status_label": m.get_status_display(),
        "summary_account_no": m.summary_account_no,
        "summary_bank": m.summary_bank,
        "b2b_review": m.b2b_review,
        "currencies": ", ".join(m.currencies),
        "agreement_version": m.agreement_version,
    }


def _submitted(request: HttpRequest, sub: Any, done: str) -> None:
    if sub.executed:
        messages.success(request, done)
        return
    url = reverse("console:approval_detail", args=[sub.request.public_id])
    messages.info(
        request,
        format_html(
            '{} <a href="{}">{}</a>',
            _("Submitted for review."),
            url,
            _("Request %(id)s") % {"id": str(sub.request.public_id)[-8:]},
        ),
    )


def _submit(
    request: HttpRequest, action_type: str, payload: dict[str, Any], comment: str = ""
) -> Any:
    return approvals.submit(
        actor=_user(request),
        action_type=action_type,
        payload=payload,
        comment=comment,
        now=clock.now(),
    )


@console_view
def market_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    filters = clean_filters(request, FILTERS)
    markets = selectors.market_list(actor=user, status=filters.get("status"), q=filters.get("q"))
    page, size = paginate(request, markets)
    return render(
        request,
        "markets/market_list.html",
        {
            "rows": [_row(m) for m in page.object_list],
            "page": page,
            "page_size": size,
            "filters": filters,
            "statuses": Market.Status.choices,
            "can_manage": user.has_permission(perms.MARKET_MANAGE),
        },
    )


@console_view
def own_market(request: HttpRequest) -> HttpResponse:
    market = selectors.market_for_user(_user(request))
    if market is None:
        raise Http404
    return redirect("console:markets_detail", public_id=market.public_id)


@console_view
def market_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    user = _user(request)
    market = selectors.market_get(actor=user, market_id=public_id)
    return render(
        request,
        "markets/market_detail.html",
        {
            "market": _row(market)
            | {
                "summary_account_name": market.summary_account_name,
                "summary_branch_code": market.summary_branch.code if market.summary_branch else "",
                "status_reason": market.status_reason,
                "organisation": market.organisation.code,
                "created_at": market.created_at,
            },
            "accounts": selectors.account_rows(actor=user, market=market),
            "agreements": [
                {
                    "version": a.version,
                    "title": a.title,
                    "effective_from": a.effective_from,
                    "current": a.version == market.agreement_version,
                }
                for a in selectors.agreements(market)
            ],
            "can_manage": user.has_permission(perms.MARKET_MANAGE),
            "can_view_ledger": user.has_permission("ledger.account.view"),
        },
    )


@console_view
def market_new(request: HttpRequest) -> HttpResponse:
    access.require(_user(request), perms.MARKET_MANAGE)
    form = MarketCreateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            sub = _submit(request, MARKET_CREATE, form.cleaned_data)
        except DomainError as exc:
            to_form(form, exc)
        else:
            _submitted(request, sub, _("The trading market has been created."))
            return redirect("console:markets_list")
    return render(request, "markets/market_form.html", {"form": form, "market": None})


@console_view
def market_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    user = _user(request)
    access.require(user, perms.MARKET_MANAGE)
    market = selectors.market_get(actor=user, market_id=public_id)
    if request.method == "POST":
        form = MarketFieldsForm(request.POST)
    else:
        form = MarketFieldsForm(initial=MarketFieldsForm.initial_for(market))
    if request.method == "POST" and form.is_valid():
        try:
            sub = _submit(
                request, MARKET_UPDATE, {"market_id": str(market.public_id), **form.cleaned_data}
            )
        except DomainError as exc:
            to_form(form, exc)
        else:
            _submitted(request, sub, _("The trading market has been changed."))
            return redirect("console:markets_detail", public_id=market.public_id)
    return render(request, "markets/market_form.html", {"form": form, "market": _row(market)})


@console_view
def market_status(request: HttpRequest, public_id: str, verb: str) -> HttpResponse:
    """Suspend (reason required) or reactivate, after a confirmation."""
    user = _user(request)
    access.require(user, perms.MARKET_MANAGE)
    market = selectors.market_get(actor=user, market_id=public_id)
    if verb not in ("suspend", "reactivate"):
        raise Http404
    form_class = ReasonForm if verb == "suspend" else OptionalReasonForm
    form = form_class(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        reason = form.cleaned_data["reason"]
        action = MARKET_SUSPEND if verb == "suspend" else MARKET_REACTIVATE
        try:
            sub = _submit(
                request, action, {"market_id": str(market.public_id), "reason": reason}, reason
            )
        except DomainError as exc:
            to_form(form, exc)
        else:
            done = (
                _("The trading market has been suspended.")
                if verb == "suspend"
                else _("The trading market has been reactivated.")
            )
            _submitted(request, sub, done)
            return redirect("console:markets_detail", public_id=market.public_id)
    return render(
        request,
        "markets/market_status.html",
        {"form": form, "market": _row(market), "verb": verb},
    )


@console_view
def agreement_new(request: HttpRequest, public_id: str) -> HttpResponse:
    user = _user(request)
    access.require(user, perms.MARKET_MANAGE)
    market = selectors.market_get(actor=user, market_id=public_id)
    form = AgreementForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            agreement = services.agreement_publish(
                actor=user,
                market_id=market.public_id,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                now=clock.now(),
            )
        except DomainError as exc:
            to_form(form, exc)
        else:
            messages.success(
                request,
                _("Version %(version)s of the service agreement is in force.")
                % {"version": agreement.version},
            )
            return redirect("console:markets_detail", public_id=market.public_id)
    return render(request, "markets/agreement_form.html", {"form": form, "market": _row(market)})


@console_view
def agreement_detail(request: HttpRequest, public_id: str, version: int) -> HttpResponse:
    market = selectors.market_get(actor=_user(request), market_id=public_id)
    agreement = selectors.agreements(market).filter(version=min(version, 1_000_000)).first()
    if agreement is None:
        raise Http404
    return render(
        request,
        "markets/agreement_detail.html",
        {
            "market": _row(market),
            "agreement": {
                "version": agreement.version,
                "title": agreement.title,
                "body": agreement.body,
                "effective_from": agreement.effective_from,
            },
        },
    )
