"""Console actions on an account or a client: the security actions (freeze, unfreeze,
close; lock, unlock, reset the app password), opening an account, recording a
deposit or withdrawal.  One confirmation page per action, with a reason; approvable
commands are submitted to the approval engine."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from custodesk.approvals import services as approval_services
from custodesk.console.decorators import console_view
from custodesk.console.errors import to_form
from custodesk.core import clock
from custodesk.core.errors import DomainError
from custodesk.core.money import SUPPORTED_CURRENCIES
from custodesk.identity.models import User

from . import services
from .approvals import ACCOUNT_FREEZE, ACCOUNT_OPEN, CASH_DEPOSIT, CASH_WITHDRAWAL, CLIENT_FREEZE
from .models import Account, Client
from .selectors import detail

CURRENCIES = [(c, c) for c in SUPPORTED_CURRENCIES]


def user_of(request: HttpRequest) -> User:
    """The signed-in staff user of a console request (console_view made sure)."""
    return request.user  # type: ignore[return-value]


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=400, widget=forms.Textarea(attrs={"rows": 3})
    )


class CloseClientForm(ReasonForm):
    kind = forms.ChoiceField(
        label=gettext_lazy("Closing kind"),
        choices=Client.ClosedKind.choices,
        help_text=gettext_lazy(
            "Permanently: may register again at once. Normally: not for three months."
        ),
    )
    field_order = ["kind", "reason"]


class LoginNameForm(forms.Form):
    login_name = forms.CharField(label=gettext_lazy("Login name"), max_length=64)


class CashForm(forms.Form):
    currency = forms.ChoiceField(label=gettext_lazy("Currency"), choices=CURRENCIES)
    amount = forms.CharField(label=gettext_lazy("Amount"), max_length=40)
    reference = forms.CharField(label=gettext_lazy("Reference"), max_length=64, required=False)
    remark = forms.CharField(label=gettext_lazy("Remark"), max_length=400, required=False)


class OpenForm(forms.Form):
    account_type = forms.ChoiceField(
        label=gettext_lazy("Account type"), choices=Account.Type.choices
    )
    base_currency = forms.ChoiceField(label=gettext_lazy("Base currency"), choices=CURRENCIES)
    currencies = forms.MultipleChoiceField(
        label=gettext_lazy("Cash currencies"),
        choices=CURRENCIES,
        initial=list(SUPPORTED_CURRENCIES),
        widget=forms.CheckboxSelectMultiple,
    )
    main_account = forms.ChoiceField(label=gettext_lazy("Main account"), required=False)
    remark = forms.CharField(label=gettext_lazy("Remark"), max_length=400, required=False)


@dataclass(frozen=True)
class Action:
    title: Any
    form: type[forms.Form]
    done: Any
    danger: bool = False
    # submit: (actor, obj, data) -> (action_type, payload) for an approvable command
    submit: Callable[[Any, Any, dict[str, Any]], tuple[str, dict[str, Any]]] | None = None
    # run: (actor, obj, data, now) -> None for a direct service
    run: Callable[[Any, Any, dict[str, Any], Any], Any] | None = None


def _cash(kind: str) -> Callable[[Any, Any, dict[str, Any]], tuple[str, dict[str, Any]]]:
    def payload(actor: Any, a: Account, d: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        action = CASH_DEPOSIT if kind == "deposit" else CASH_WITHDRAWAL
        return action, {"account_id": str(a.public_id), **d}

    return payload


ACCOUNT_ACTIONS: dict[str, Action] = {
    "freeze": Action(
        gettext_lazy("Freeze account"),
        ReasonForm,
        gettext_lazy("The account is frozen."),
        danger=True,
        submit=lambda actor, a, d: (ACCOUNT_FREEZE, {"account_id": str(a.public_id), **d}),
    ),
    "unfreeze": Action(
        gettext_lazy("Unfreeze account"),
        ReasonForm,
        gettext_lazy("The account is active again."),
        run=lambda actor, a, d, now: services.account_unfreeze(
            actor=actor, account_id=a.public_id, reason=d["reason"], now=now
        ),
    ),
    "close": Action(
        gettext_lazy("Close account"),
        ReasonForm,
        gettext_lazy("The account is closed."),
        danger=True,
        run=lambda actor, a, d, now: services.account_close(
            actor=actor, account_id=a.public_id, reason=d["reason"], now=now
        ),
    ),
    "deposit": Action(
        gettext_lazy("Record a deposit"),
        CashForm,
        gettext_lazy("The deposit is booked."),
        submit=_cash("deposit"),
    ),
    "withdrawal": Action(
        gettext_lazy("Record a withdrawal"),
        CashForm,
        gettext_lazy("The withdrawal is booked."),
        submit=_cash("withdrawal"),
    ),
}


def _login(fn: Callable[..., Any]) -> Callable[[Any, Any, dict[str, Any], Any], Any]:
    return lambda actor, c, d, now: fn(
        actor=actor, client_id=c.public_id, reason=d["reason"], now=now
    )


CLIENT_ACTIONS: dict[str, Action] = {
    "freeze": Action(
        gettext_lazy("Freeze client"),
        ReasonForm,
        gettext_lazy("The client is frozen: its app sign-in is refused."),
        danger=True,
        submit=lambda actor, c, d: (CLIENT_FREEZE, {"client_id": str(c.public_id), **d}),
    ),
    "unfreeze": Action(
        gettext_lazy("Unfreeze client"),
        ReasonForm,
        gettext_lazy("The client is active again."),
        run=_login(services.client_unfreeze),
    ),
    "close": Action(
        gettext_lazy("Close client"),
        CloseClientForm,
        gettext_lazy("The client is closed."),
        danger=True,
        run=lambda actor, c, d, now: services.client_close(
            actor=actor, client_id=c.public_id, kind=d["kind"], reason=d["reason"], now=now
        ),
    ),
    "app-create": Action(
        gettext_lazy("Set up the app login"),
        LoginNameForm,
        gettext_lazy("The app login is set up; the password was sent to the client."),
        run=lambda actor, c, d, now: services.app_login_create(
            actor=actor, client_id=c.public_id, login_name=d["login_name"], now=now
        ),
    ),
    "app-reset": Action(
        gettext_lazy("Reset the app password"),
        ReasonForm,
        gettext_lazy("A new password was sent to the client."),
        danger=True,
        run=_login(services.app_login_reset_password),
    ),
    "app-lock": Action(
        gettext_lazy("Lock the app login"),
        ReasonForm,
        gettext_lazy("The app login is locked."),
        danger=True,
        run=_login(services.app_login_lock),
    ),
    "app-unlock": Action(
        gettext_lazy("Unlock the app login"),
        ReasonForm,
        gettext_lazy("The app login is unlocked."),
        run=_login(services.app_login_unlock),
    ),
}


def submitted_message(request: HttpRequest, sub: Any, done: str) -> None:
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


def _perform(
    request: HttpRequest,
    spec: Action,
    obj: Any,
    back: str,
    subject: str,
    breadcrumb: str,
    initial: dict[str, Any] | None = None,
    prepare: Callable[[forms.Form], None] | None = None,
) -> HttpResponse:
    actor = user_of(request)
    form = spec.form(request.POST if request.method == "POST" else None, initial=initial)
    if prepare:
        prepare(form)
    if request.method == "POST" and form.is_valid():
        try:
            if spec.submit is not None:
                action, payload = spec.submit(actor, obj, form.cleaned_data)
                sub = approval_services.submit(
                    actor=actor,
                    action_type=action,
                    payload=payload,
                    comment=str(
                        form.cleaned_data.get("reason") or form.cleaned_data.get("remark") or ""
                    ),
                    now=clock.now(),
                )
                submitted_message(request, sub, str(spec.done))
            else:
                assert spec.run is not None
                spec.run(actor, obj, form.cleaned_data, clock.now())
                messages.success(request, str(spec.done))
        except DomainError as exc:
            to_form(form, exc)
        else:
            return redirect(back)
    return render(
        request,
        "brokerage/action.html",
        {
            "form": form,
            "title": spec.title,
            "danger": spec.danger,
            "back": back,
            "subject": subject,
            "breadcrumb": breadcrumb,
        },
    )


@console_view
def account_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    a = detail.account_by_number(actor=user_of(request), number=number)
    spec = ACCOUNT_ACTIONS.get(action)
    back = reverse("console:brokerage_account", args=[number])
    if spec is None:
        return redirect(back)
    tab = "?tab=assets" if action in ("deposit", "withdrawal") else ""
    return _perform(
        request,
        spec,
        a,
        back + tab,
        f"{a.number} · {a.client.name_en} {a.client.name_zh}",
        a.number,
        initial={"currency": a.base_currency},
    )


@console_view
def client_action(request: HttpRequest, client_no: str, action: str) -> HttpResponse:
    c = detail.client_by_number(actor=user_of(request), client_no=client_no)
    back = reverse("console:brokerage_client", args=[client_no])
    if action == "open":
        return _open(request, c, back)
    spec = CLIENT_ACTIONS.get(action)
    if spec is None:
        return redirect(back)
    return _perform(request, spec, c, back, f"{c.client_no} · {c.name_en} {c.name_zh}", c.client_no)


def _open(request: HttpRequest, c: Client, back: str) -> HttpResponse:
    mains = {
        a.number: a for a in c.accounts.filter(parent__isnull=True, status=Account.Status.ACTIVE)
    }

    def prepare(form: forms.Form) -> None:
        field = form.fields["main_account"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("— none: a main account —"))] + [
            (n, f"{n} ({a.get_type_display()})") for n, a in mains.items()
        ]

    def submit(actor: Any, client: Client, d: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        payload: dict[str, Any] = {
            "client_id": str(client.public_id),
            "account_type": d["account_type"],
            "base_currency": d["base_currency"],
            "currencies": d["currencies"],
            "remark": d.get("remark", ""),
        }
        if d.get("main_account"):
            payload["parent_id"] = str(mains[d["main_account"]].public_id)
        return ACCOUNT_OPEN, payload

    spec = Action(
        gettext_lazy("Open an account"),
        OpenForm,
        gettext_lazy("The account is open."),
        submit=submit,
    )
    return _perform(
        request,
        spec,
        c,
        back,
        f"{c.client_no} · {c.name_en} {c.name_zh}",
        c.client_no,
        prepare=prepare,
    )
