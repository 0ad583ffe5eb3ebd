"""Console pages of the outbox: message records (filters, keyset pages), one message
(the text with secrets masked; retry now / give up with a reason), and the embedded SMS
gateway's test phone (the SMS as delivered, codes included: the simulated handset)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from custodesk.console.decorators import console_view
from custodesk.console.errors import to_form
from custodesk.console.paging import clean_filters
from custodesk.core import access, clock
from custodesk.core.errors import DomainError
from custodesk.core.ids import parse_public_id

from . import permissions as perms
from . import selectors, services
from .forms import MessageFilterForm, ReasonForm

PAGE = 50


@console_view
def message_list(request: HttpRequest) -> HttpResponse:
    form = MessageFilterForm(request.GET)
    form.is_valid()
    filters = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
    after = (
        parse_public_id(request.GET.get("after", "").strip()) if request.GET.get("after") else None
    )
    rows = selectors.messages(
        actor=request.user, filters=filters, limit=PAGE + 1, after=after
    ) if not form.errors else []  # fmt: skip
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    now = clock.now()
    return render(
        request,
        "notify/message_list.html",
        {
            "rows": [selectors.message_row(m, now=now) for m in rows],
            "next_after": rows[-1].public_id if more else None,
            "paged": after is not None,
            "form": form,
            "filters": clean_filters(request, list(MessageFilterForm.base_fields)),
            "templates": selectors.templates(),
            "phone": selectors.phone_enabled() and request.user.has_permission(perms.PHONE_VIEW),  # type: ignore[union-attr]
        },
    )


@console_view
def message_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    msg = selectors.message_get(actor=request.user, public_id=public_id)
    return render(
        request,
        "notify/message_detail.html",
        {
            "m": selectors.message_detail(msg, now=clock.now()),
            "can_manage": request.user.has_permission(perms.MANAGE),  # type: ignore[union-attr]
        },
    )


ACTIONS: dict[str, Any] = {"retry": services.message_retry, "give-up": services.message_give_up}


@console_view
def message_action(request: HttpRequest, public_id: UUID, action: str) -> HttpResponse:
    """Retry now / give up: a confirmation page with a reason (GET), the service (POST)."""
    if action not in ACTIONS:
        raise Http404
    actor = request.user
    access.require(actor, perms.MANAGE)  # type: ignore[arg-type]
    msg = selectors.message_get(actor=actor, public_id=public_id)
    run = ACTIONS[action]
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            run(actor=actor, message_id=msg.public_id, reason=form.cleaned_data["reason"],
                now=clock.now())  # fmt: skip
        except DomainError as exc:
            to_form(form, exc)
        else:
            done = (
                _("The message will be tried again now.")
                if action == "retry"
                else _("The message will not be tried again.")
            )
            messages.success(request, done)
            return redirect("console:notify_message", public_id=msg.public_id)
    title = _("Retry now") if action == "retry" else _("Give up")
    return render(
        request,
        "notify/confirm.html",
        {
            "m": selectors.message_detail(msg, now=clock.now()),
            "form": form,
            "title": title,
            "action": action,
        },
    )


@console_view
def phone(request: HttpRequest) -> HttpResponse:
    """The embedded SMS gateway's test phone (only when it is the configured gateway)."""
    if not selectors.phone_enabled():
        raise Http404
    return render(
        request,
        "notify/phone.html",
        {"sms": selectors.phone_messages(actor=request.user)},
    )
