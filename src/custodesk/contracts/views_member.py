"""Console pages of the member's own data (自助服务): bound card (M-CARD), member data
(SELF-INFO) with an individual's mobile number (SELF-PHONE), closing (CLOSE)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from custodesk.banks import selectors as bank_directory
from custodesk.console.decorators import console_view
from custodesk.console.errors import to_form, to_messages
from custodesk.core import access, clock
from custodesk.core.errors import DomainError

from . import permissions as perms
from . import selectors, selfservice, services
from .forms import CardChangeForm, CloseForm, InfoForm, PhoneCodeForm, PhoneForm
from .views import _user, challenge_of, remember_challenge

PHONE_SESSION = "custody_phone:new"


@console_view
def cards(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    access.require(user, perms.MEMBER_MAINTAIN)
    banks = [(b.code, f"{b.code} {b.name}") for b in bank_directory.banks()]
    form = CardChangeForm(request.POST or None, banks=banks)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            selfservice.card_change(
                actor=user,
                bank_code=data["bank_code"],
                branch_code=data["branch_code"],
                card_number=data["card_number"],
                phone=data["phone"],
                challenge_id=challenge_of(request, selfservice.PURPOSE_CARD),
                sms_code=data["sms_code"] or None,
                now=clock.now(),
                business_date=clock.business_date(),
            )
        except DomainError as exc:
            to_form(form, exc)
        else:
            messages.success(request, _("The new card is bound."))
            return redirect("console:member_cards")
    return render(
        request,
        "contracts/cards.html",
        {
            "cards": selectors.cards(actor=user),
            "form": form,
            "purpose": selfservice.PURPOSE_CARD,
            "phone": selfservice.factor_phone_of(user),
        },
    )


@console_view
def info(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    access.require(user, perms.MEMBER_MAINTAIN)
    profile = selectors.member_profile(actor=user)
    fields = selfservice.editable_fields(profile)
    row = selectors.profile_row(profile)
    form = InfoForm(request.POST or None, fields=fields, initial=row)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            selfservice.info_change(
                actor=user,
                changes={k: v for k, v in data.items() if k in fields},
                challenge_id=challenge_of(request, selfservice.PURPOSE_INFO),
                sms_code=data["sms_code"] or None,
                now=clock.now(),
            )
        except DomainError as exc:
            to_form(form, exc)
        else:
            messages.success(request, _("The member data is saved."))
            return redirect("console:member_info")
    individual = services.is_individual(profile)
    return render(
        request,
        "contracts/info.html",
        {
            "profile": row,
            "form": form,
            "purpose": selfservice.PURPOSE_INFO,
            "phone": selfservice.factor_phone_of(user),
            "individual": individual,
            "phone_code_form": PhoneCodeForm(
                initial={"new_phone": request.session.get(PHONE_SESSION, "")}
            ),
            "phone_form": PhoneForm() if individual else None,
            "new_phone": request.session.get(PHONE_SESSION, ""),
        },
    )


@console_view
def phone_code(request: HttpRequest) -> HttpResponse:
    """SELF-PHONE step 1 (POST): the code goes to the new number."""
    user = _user(request)
    form = PhoneCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        new_phone = form.cleaned_data["new_phone"]
        try:
            ch = selfservice.phone_code_send(actor=user, new_phone=new_phone, now=clock.now())
        except DomainError as exc:
            to_messages(request, exc)
        else:
            request.session[PHONE_SESSION] = new_phone
            remember_challenge(request, selfservice.PURPOSE_PHONE, ch)
    return redirect("console:member_info")


@console_view
def phone(request: HttpRequest) -> HttpResponse:
    """SELF-PHONE step 2 (POST): the bound card's number and the code."""
    user = _user(request)
    form = PhoneForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            selfservice.phone_change(
                actor=user,
                new_phone=request.session.get(PHONE_SESSION, ""),
                card_number=form.cleaned_data["card_number"],
                challenge_id=challenge_of(request, selfservice.PURPOSE_PHONE),
                sms_code=form.cleaned_data["sms_code"] or None,
                now=clock.now(),
            )
        except DomainError as exc:
            to_messages(request, exc)
        else:
            request.session.pop(PHONE_SESSION, None)
            messages.success(request, _("The registered mobile is changed."))
    return redirect("console:member_info")


@console_view
def close(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    access.require(user, perms.MEMBER_MAINTAIN)
    form = CloseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            selfservice.close_registration(
                actor=user,
                challenge_id=challenge_of(request, selfservice.PURPOSE_CLOSE),
                sms_code=form.cleaned_data["sms_code"] or None,
                now=clock.now(),
            )
        except DomainError as exc:
            to_form(form, exc)
        else:
            # the user is deactivated: its session has ended with it
            return render(request, "contracts/closed.html", {})
    contracts = (
        [selectors.contract_row(c) for c in selectors.contracts(actor=user, status="active")]
        if user.has_permission(perms.CONTRACT_VIEW)
        else []
    )
    return render(
        request,
        "contracts/close.html",
        {
            "form": form,
            "purpose": selfservice.PURPOSE_CLOSE,
            "phone": selfservice.factor_phone_of(user),
            "active": contracts,
        },
    )
