"""Console pages of deposits and withdrawals: the member portal's 入金 / 出金 forms, its
list of movements and the detail with every change of state (where the reviewer
approves or rejects), and the staff's list of every movement, the queue of unknown
rail outcomes (resolution under dual control), limits and market webhooks.

An individual's SMS code is asked with a "Send code" button (:func:`code_send`): the
challenge id stays in the session, the form carries only the digits.
"""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from custodesk.console.decorators import console_view
from custodesk.console.errors import to_form, to_messages
from custodesk.console.paging import paginate
from custodesk.contracts import services as contracts
from custodesk.core import access, clock
from custodesk.core.errors import DomainError, NotFound
from custodesk.identity.models import User
from custodesk.markets.models import Market
from custodesk.members.models import MemberProfile

from . import permissions as perms
from . import selectors, services
from .forms import (
    LimitForm,
    MovementFilterForm,
    MovementForm,
    RejectForm,
    ResolveForm,
    WebhookForm,
)
from .models import Direction, FundMovement


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _session_key(direction: str) -> str:
    return f"funds_code:{direction}"


def _challenge(request: HttpRequest, direction: str) -> UUID | None:
    value = request.session.get(_session_key(direction))
    try:
        return UUID(str(value)) if value else None
    except ValueError:
        return None


@console_view
def code_send(request: HttpRequest, direction: str) -> HttpResponseBase:
    """POST: send the SMS code confirming a deposit or withdrawal; back to the form."""
    if request.method != "POST" or direction not in Direction.values:
        raise NotFound(object="direction")
    try:
        ch = services.sms_code_send(actor=_user(request), direction=direction, now=clock.now())
    except DomainError as exc:
        to_messages(request, exc)
    else:
        request.session[_session_key(direction)] = str(ch.public_id)
        phone = ch.phone
        masked = f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else "****"
        messages.success(request, _("A code was sent by SMS to %(phone)s.") % {"phone": masked})
    return redirect("console:funds_" + direction)


def _submit_page(request: HttpRequest, direction: str) -> HttpResponse:
    user = _user(request)
    access.require(user, services.SUBMIT[direction])
    rows = selectors.signed_contracts(actor=user)
    choices = [
        (str(r["contract_id"]), f"{r['market_code']} {r['market_name']} · {r['member_code']}")
        for r in rows
    ]
    initial = {"idempotency_key": uuid.uuid4().hex}
    form = MovementForm(request.POST or None, contracts=choices, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        submit = services.deposit_submit if direction == "deposit" else services.withdrawal_submit
        try:
            sub = submit(
                actor=user,
                contract_id=data["contract"],
                amount=data["amount"].strip(),
                idempotency_key=data["idempotency_key"],
                challenge_id=_challenge(request, direction),
                sms_code=data["sms_code"] or None,
                comment=data["comment"],
                now=clock.now(),
                business_date=clock.business_date(),
            )
        except DomainError as exc:
            to_form(form, exc)
        else:
            m = sub.movement
            if m.status == FundMovement.Status.SUBMITTED:
                messages.success(request, _("Submitted: it waits for your reviewer."))
            else:
                messages.info(request, _("Done: %(status)s.") % {"status": m.get_status_display()})
            return redirect("console:funds_movement", movement_id=m.public_id)
    profile = contracts.member_of(user)
    return render(
        request,
        "funds/submit.html",
        {
            "direction": direction,
            "title": Direction(direction).label,
            "form": form,
            "rows": rows,
            "individual": contracts.is_individual(profile),
            "phone": contracts.factor_phone(user, profile),
        },
    )


@console_view
def deposit(request: HttpRequest) -> HttpResponse:
    return _submit_page(request, Direction.DEPOSIT)


@console_view
def withdrawal(request: HttpRequest) -> HttpResponse:
    return _submit_page(request, Direction.WITHDRAWAL)


def _list(request: HttpRequest, template: str, **extra: Any) -> HttpResponse:
    user = _user(request)
    form = MovementFilterForm(request.GET or None)
    filters = {k: v for k, v in (form.cleaned_data if form.is_valid() else {}).items() if v}
    page, size = paginate(request, selectors.movements(actor=user, **filters))
    return render(
        request,
        template,
        {
            "form": form,
            "filters": filters,
            "page": page,
            "page_size": size,
            "rows": [selectors.movement_row(m) for m in page.object_list],
            **extra,
        },
    )


@console_view
def movements(request: HttpRequest) -> HttpResponse:
    return _list(request, "funds/movement_list.html", staff=False)


@console_view
def staff_movements(request: HttpRequest) -> HttpResponse:
    access.require(_user(request), perms.MOVEMENT_VIEW)
    return _list(request, "funds/movement_list.html", staff=True)


@console_view
def movement(request: HttpRequest, movement_id: UUID) -> HttpResponseBase:
    """The detail; POST ``action=approve`` / ``reject`` (the member's reviewer)."""
    user = _user(request)
    m = selectors.movement(actor=user, movement_id=movement_id)
    reject_form = RejectForm(request.POST if request.POST.get("action") == "reject" else None)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "approve":
                services.movement_approve(actor=user, movement_id=m.public_id, now=clock.now())
                messages.success(request, _("Approved and sent to the bank."))
                return redirect("console:funds_movement", movement_id=m.public_id)
            if reject_form.is_valid():
                services.movement_reject(
                    actor=user,
                    movement_id=m.public_id,
                    reason=reject_form.cleaned_data["reason"],
                    now=clock.now(),
                )
                messages.success(request, _("Rejected."))
                return redirect("console:funds_movement", movement_id=m.public_id)
        except DomainError as exc:
            to_messages(request, exc)
    can_review = (
        not user.is_staff_member()
        and m.status == FundMovement.Status.SUBMITTED
        and user.has_permission(services.REVIEW[m.direction])
        and m.submitted_by_id != user.pk
    )
    return render(
        request,
        "funds/movement_detail.html",
        {
            "m": selectors.movement_detail(actor=user, movement_id=m.public_id),
            "can_review": can_review,
            "reject_form": reject_form,
            "back": reverse(
                "console:funds_staff_movements"
                if user.is_staff_member()
                else "console:funds_movements"
            ),
        },
    )


@console_view
def unknown(request: HttpRequest) -> HttpResponseBase:
    """Staff: transfers whose outcome the bank has not told; POST proposes an outcome
    (``movement``), which a second officer approves in the approvals inbox."""
    user = _user(request)
    queue = selectors.unknown_outcomes(actor=user)
    form = ResolveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            sub = services.resolve_submit(
                actor=user,
                movement_id=request.POST.get("movement", ""),
                outcome=form.cleaned_data["outcome"],
                reason=form.cleaned_data["reason"],
                bank_reference=form.cleaned_data["bank_reference"],
                now=clock.now(),
            )
        except (DomainError, ValueError) as exc:
            if isinstance(exc, DomainError):
                to_messages(request, exc)
            else:
                messages.error(request, _("Choose a transfer."))
        else:
            if sub.executed:
                messages.success(request, _("Resolved."))
            else:
                messages.success(request, _("Submitted: a second officer approves the resolution."))
            return redirect("console:funds_unknown")
    page, size = paginate(request, queue)
    return render(
        request,
        "funds/unknown.html",
        {
            "rows": [selectors.movement_row(m) for m in page.object_list],
            "page": page,
            "page_size": size,
            "form": form,
        },
    )


@console_view
def limits(request: HttpRequest) -> HttpResponseBase:
    """Staff: limits per market and member, and each market's webhook endpoint."""
    user = _user(request)
    access.require(user, perms.LIMIT_MANAGE)
    markets = [
        (str(mk.public_id), f"{mk.code} {mk.name}") for mk in Market.objects.order_by("code")
    ]
    members = [(str(p.public_id), p.name) for p in MemberProfile.objects.order_by("name")[:500]]
    which = request.POST.get("form")
    limit_form = LimitForm(
        request.POST if which == "limit" else None, markets=markets, members=members
    )
    hook_form = WebhookForm(request.POST if which == "webhook" else None, markets=markets)
    try:
        if which == "limit" and limit_form.is_valid():
            d = limit_form.cleaned_data
            services.limit_set(
                actor=user,
                market_id=d["market"],
                member_id=d["member"] or None,
                direction=d["direction"],
                currency=d["currency"].strip().upper(),
                per_transaction=d["per_transaction"].strip() or None,
                daily=d["daily"].strip() or None,
                now=clock.now(),
            )
            messages.success(request, _("The limit is saved."))
            return redirect("console:funds_limits")
        if which == "webhook" and hook_form.is_valid():
            d = hook_form.cleaned_data
            code = services.market_webhook_save(
                actor=user,
                market_id=d["market"],
                url=d["url"],
                secret=d["secret"] or None,
                active=d["active"],
                now=clock.now(),
            )
            messages.success(request, _("The webhook %(code)s is saved.") % {"code": code})
            return redirect("console:funds_limits")
    except DomainError as exc:
        to_form(limit_form if which == "limit" else hook_form, exc)
    return render(
        request,
        "funds/limits.html",
        {"rows": selectors.limits(actor=user), "limit_form": limit_form, "hook_form": hook_form},
    )
