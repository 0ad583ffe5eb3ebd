"""Console pages of contracts: the member portal's 签约 / 解约 (list, markets to sign,
the signing form with the service agreement, the cancel confirmation), the market's
view of its members and its report of trades and disputes, and the staff's list.

An SMS code is asked with a "Send code" button (:func:`code_send`): the challenge id
stays in the session under its purpose, the form carries only the six digits.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from custodesk.console.decorators import console_view
from custodesk.console.errors import to_form, to_messages
from custodesk.console.paging import paginate
from custodesk.core import access, clock
from custodesk.core.errors import DomainError, NotFound
from custodesk.identity.models import User
from custodesk.members.models import BoundCard

from . import permissions as perms
from . import selectors, services
from .forms import CancelForm, ContractFilterForm, MarketStateForm, SignForm
from .models import Contract


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


# -- SMS codes in the console ------------------------------------------------------------
def _session_key(purpose: str) -> str:
    return f"custody_code:{purpose}"


def challenge_of(request: HttpRequest, purpose: str) -> UUID | None:
    value = request.session.get(_session_key(purpose))
    try:
        return UUID(str(value)) if value else None
    except ValueError:
        return None


def remember_challenge(request: HttpRequest, purpose: str, challenge: Any) -> None:
    request.session[_session_key(purpose)] = str(challenge.public_id)
    phone = challenge.phone
    messages.success(
        request,
        _("A code was sent by SMS to %(phone)s.")
        % {"phone": f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else "****"},
    )


def back(request: HttpRequest, fallback: str) -> HttpResponse:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse(fallback)
    return redirect(target)


@console_view
def code_send(request: HttpRequest, purpose: str) -> HttpResponseBase:
    """POST: send the SMS code for ``purpose`` and go back to the form."""
    if request.method != "POST" or purpose not in services.PURPOSES:
        raise NotFound(object="purpose")
    try:
        ch = services.sms_code_send(actor=_user(request), purpose=purpose, now=clock.now())
    except DomainError as exc:
        to_messages(request, exc)
    else:
        remember_challenge(request, purpose, ch)
    return back(request, "console:contracts")


# -- contracts ---------------------------------------------------------------------------
@console_view
def contract_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = ContractFilterForm(request.GET)
    filters = {k: v for k, v in (form.cleaned_data if form.is_valid() else {}).items() if v}
    page, size = paginate(request, selectors.contracts(actor=user, **filters))
    is_member = user.organisation.kind == "member"
    now = clock.now()
    return render(
        request,
        "contracts/contract_list.html",
        {
            "form": form,
            "filters": filters,
            "page": page,
            "page_size": size,
            "rows": [selectors.contract_row(c) for c in page.object_list],
            "is_member": is_member,
            "can_sign": is_member and user.has_permission(perms.CONTRACT_SUBMIT),
            "initiated": selectors.requests(actor=user, box="initiated", now=now)[:20]
            if is_member
            else [],
            "to_review": selectors.requests(actor=user, box="pending", now=now)[:20]
            if is_member
            else [],
        },
    )


@console_view
def contract_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    user = _user(request)
    row = selectors.contract_detail(actor=user, contract_id=public_id)
    kind = user.organisation.kind
    return render(
        request,
        "contracts/contract_detail.html",
        {
            "c": row,
            "can_cancel": kind == "member"
            and row["status"] == Contract.Status.ACTIVE
            and user.has_permission(perms.CONTRACT_SUBMIT),
            "can_report": kind != "member"
            and row["status"] == Contract.Status.ACTIVE
            and user.has_permission(perms.MARKET_STATE_REPORT),
        },
    )


@console_view
def market_list(request: HttpRequest) -> HttpResponse:
    """The markets a member can sign with (签约 → choose a market)."""
    user = _user(request)
    access.require(user, perms.CONTRACT_SUBMIT)
    return render(
        request, "contracts/market_list.html", {"markets": selectors.market_offers(actor=user)}
    )


def _card_choices(user: User) -> list[tuple[str, str]]:
    profile = services.member_of(user)
    return [
        (str(c.public_id), f"{c.bank_code} {c.masked_number} — {c.holder_name}")
        for c in BoundCard.objects.filter(member=profile, status=BoundCard.Status.CURRENT)
    ]


@console_view
def contract_sign(request: HttpRequest, market_id: UUID) -> HttpResponse:
    """Sign: member code, bound card, currency, the agreement in force to accept;
    an individual confirms with an SMS code, an enterprise's reviewer approves."""
    user = _user(request)
    access.require(user, perms.CONTRACT_SUBMIT)
    market = selectors.market_offer(actor=user, market_id=market_id)
    sms = services.is_individual(services.member_of(user))
    cards = _card_choices(user)
    form = SignForm(request.POST or None, cards=cards, currencies=market["currencies"], sms=sms)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            sub = services.sign_submit(
                actor=user,
                market_id=market_id,
                member_code=data["member_code"],
                card_id=UUID(data["card_id"]),
                currency=data["currency"],
                agreement_version=market["agreement_version"],
                agreement_accepted=bool(data["agreement_accepted"]),
                challenge_id=challenge_of(request, services.PURPOSE_SIGN),
                sms_code=data.get("sms_code") or None,
                comment=data.get("comment", ""),
                now=clock.now(),
            )
        except DomainError as exc:
            to_form(form, exc)
        else:
            if sub.executed:
                messages.success(request, _("The contract is signed."))
                return redirect("console:contract_detail", sub.result["contract_id"])  # type: ignore[index]
            messages.success(
                request,
                _("Submitted for review — request %(id)s.") % {"id": sub.request.public_id},
            )
            return redirect("console:contracts")
    return render(
        request,
        "contracts/sign.html",
        {
            "market": market,
            "form": form,
            "sms": sms,
            "purpose": services.PURPOSE_SIGN,
            "no_card": not cards,
            "can_bind": user.has_permission(perms.MEMBER_MAINTAIN),
        },
    )


@console_view
def contract_cancel(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Cancel: the conditions are checked when submitted (each refusal says which)."""
    user = _user(request)
    access.require(user, perms.CONTRACT_SUBMIT)
    row = selectors.contract_detail(actor=user, contract_id=public_id)
    sms = services.is_individual(services.member_of(user))
    form = CancelForm(request.POST or None, sms=sms)
    if request.method == "POST" and form.is_valid():
        try:
            sub = services.cancel_submit(
                actor=user,
                contract_id=public_id,
                challenge_id=challenge_of(request, services.PURPOSE_CANCEL),
                sms_code=form.cleaned_data.get("sms_code") or None,
                comment=form.cleaned_data["comment"],
                now=clock.now(),
                business_date=clock.business_date(),
            )
        except DomainError as exc:
            to_form(form, exc)
        else:
            if sub.executed:
                messages.success(request, _("The contract is cancelled."))
            else:
                messages.success(
                    request,
                    _("Submitted for review — request %(id)s.") % {"id": sub.request.public_id},
                )
            return redirect("console:contract_detail", public_id)
    return render(
        request,
        "contracts/cancel.html",
        {"c": row, "form": form, "sms": sms, "purpose": services.PURPOSE_CANCEL},
    )


@console_view
def market_state(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The market's staff report unsettled trades and open disputes of a contract."""
    user = _user(request)
    access.require(user, perms.MARKET_STATE_REPORT)
    c = selectors.contract(actor=user, contract_id=public_id)
    current = selectors.market_state_row(c)
    form = MarketStateForm(request.POST or None, initial=current)
    if request.method == "POST" and form.is_valid():
        try:
            services.market_state_report(
                actor=user, contract_id=public_id, now=clock.now(), **form.cleaned_data
            )
        except DomainError as exc:
            to_form(form, exc)
        else:
            messages.success(request, _("The market's report is recorded."))
            return redirect("console:contract_detail", public_id)
    return render(
        request,
        "contracts/market_state.html",
        {"c": selectors.contract_row(c), "form": form, "current": current},
    )


@console_view
def member_list(request: HttpRequest) -> HttpResponse:
    """The members with contracts in the user's market (staff: every market)."""
    user = _user(request)
    return render(
        request, "contracts/member_list.html", {"rows": selectors.market_members(actor=user)}
    )
