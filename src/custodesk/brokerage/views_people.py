"""Console forms: register a client; add, edit and revoke agents; add, edit and
remove related persons.  Every change is audited by the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from custodesk.console.decorators import console_view
from custodesk.console.errors import to_form
from custodesk.core import access, clock
from custodesk.core.errors import DomainError

from . import permissions as perms
from . import services
from .models import Agent, Client, RelatedPerson
from .selectors import detail
from .views_actions import ReasonForm, user_of

DATE = forms.DateInput(attrs={"type": "date"})


class ClientForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Client type"), choices=Client.Kind.choices)
    name_en = forms.CharField(label=gettext_lazy("Name (English)"), max_length=200)
    name_zh = forms.CharField(label=gettext_lazy("Name (Chinese)"), max_length=200, required=False)
    id_type = forms.ChoiceField(
        label=gettext_lazy("ID type"),
        choices=[("", "—"), *Client.IdType.choices],
        required=False,
        help_text=gettext_lazy(
            "The best document the client holds: HKID, else national ID, else passport; "
            "companies: LEI, else certificate of incorporation, else business registration."
        ),
    )
    id_number = forms.CharField(label=gettext_lazy("ID number"), max_length=64, required=False)
    id_issuing_place = forms.CharField(
        label=gettext_lazy("ID issuing place"),
        max_length=2,
        required=False,
        help_text=gettext_lazy("Country code, e.g. HK, CN, GB."),
    )
    nationality = forms.CharField(label=gettext_lazy("Nationality"), max_length=2, required=False)
    date_of_birth = forms.DateField(
        label=gettext_lazy("Date of birth / incorporation"), required=False, widget=DATE
    )
    phone = forms.CharField(
        label=gettext_lazy("Phone"),
        max_length=32,
        required=False,
        help_text=gettext_lazy("International form, e.g. +85291234567."),
    )
    email = forms.CharField(label=gettext_lazy("E-mail"), max_length=254, required=False)
    address = forms.CharField(label=gettext_lazy("Address"), max_length=400, required=False)
    risk_level = forms.ChoiceField(
        label=gettext_lazy("Risk level"), choices=Client.RiskLevel.choices, initial="medium"
    )
    category = forms.ChoiceField(
        label=gettext_lazy("Client category"), choices=Client.Category.choices
    )
    holders = forms.CharField(
        label=gettext_lazy("Joint holders"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("Joint clients only: the holders' client numbers, comma-separated."),
    )


class ClientEditForm(ClientForm, ReasonForm):
    """The editable fields of a client (type and holders are fixed: close and reopen)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["kind"], self.fields["holders"]


class AgentForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    id_type = forms.ChoiceField(
        label=gettext_lazy("ID type"),
        choices=[c for c in Client.IdType.choices if c[0] in ("hkid", "national_id", "passport")],
    )
    id_number = forms.CharField(label=gettext_lazy("ID number"), max_length=64)
    relationship = forms.CharField(label=gettext_lazy("Relationship"), max_length=100)
    scope = forms.ChoiceField(label=gettext_lazy("Authority scope"), choices=Agent.Scope.choices)
    valid_from = forms.DateField(label=gettext_lazy("Valid from"), widget=DATE)
    valid_to = forms.DateField(label=gettext_lazy("Valid to"), required=False, widget=DATE)


class RelatedForm(forms.Form):
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=RelatedPerson.Role.choices)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    id_type = forms.CharField(label=gettext_lazy("ID type"), max_length=32, required=False)
    id_number = forms.CharField(label=gettext_lazy("ID number"), max_length=64, required=False)
    share_percent = forms.CharField(label=gettext_lazy("Share %"), max_length=6, required=False)
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=32, required=False)
    email = forms.CharField(label=gettext_lazy("E-mail"), max_length=254, required=False)


class AgentEditForm(AgentForm, ReasonForm):
    pass


class RelatedEditForm(RelatedForm, ReasonForm):
    pass


def _render(
    request: HttpRequest,
    form: forms.Form,
    title: Any,
    back: str,
    subject: str = "",
    danger: bool = False,
) -> HttpResponse:
    return render(
        request,
        "brokerage/action.html",
        {
            "form": form,
            "title": title,
            "back": back,
            "subject": subject,
            "danger": danger,
            "breadcrumb": subject,
        },
    )


@console_view
def client_new(request: HttpRequest) -> HttpResponse:
    access.require(user_of(request), perms.CLIENT_MANAGE)
    form = ClientForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["holders"] = [h.strip() for h in data["holders"].split(",") if h.strip()]
        try:
            c = services.client_create(actor=user_of(request), now=clock.now(), **data)
        except DomainError as exc:
            to_form(form, exc)
        else:
            messages.success(request, _("Client %(no)s is registered.") % {"no": c.client_no})
            return redirect("console:brokerage_client", client_no=c.client_no)
    return _render(request, form, _("Register a client"), reverse("console:brokerage_clients"))


@console_view
def client_edit(request: HttpRequest, client_no: str) -> HttpResponse:
    """Edit a client's data; the reason is kept with the before/after in the audit row."""
    c = detail.client_by_number(actor=user_of(request), client_no=client_no)
    back = reverse("console:brokerage_client", args=[client_no])
    initial = {name: getattr(c, name) for name in services.clients.EDITABLE}
    form = ClientEditForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        reason = data.pop("reason")
        changes = {k: v for k, v in data.items() if v != initial.get(k)}
        try:
            services.client_update(
                actor=user_of(request),
                client_id=c.public_id,
                changes=changes,
                reason=reason,
                now=clock.now(),
            )
        except DomainError as exc:
            to_form(form, exc)
        else:
            messages.success(request, _("The client's data is saved."))
            return redirect(back)
    return _render(request, form, _("Edit client data"), back, f"{c.client_no} · {c.name_en}")


def _client_page(c: Client, tab: str) -> str:
    return reverse("console:brokerage_client", args=[c.client_no]) + f"?tab={tab}"


@console_view
def agent_new(request: HttpRequest, client_no: str) -> HttpResponse:
    c = detail.client_by_number(actor=user_of(request), client_no=client_no)
    back = _client_page(c, "agents")
    form = AgentForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.agent_create(
                actor=user_of(request),
                client_id=c.public_id,
                data=form.cleaned_data,
                now=clock.now(),
            )
        except DomainError as exc:
            to_form(form, exc)
        else:
            messages.success(request, _("The agent is added."))
            return redirect(back)
    return _render(request, form, _("Add an agent"), back, f"{c.client_no} · {c.name_en}")


@console_view
def agent_edit(request: HttpRequest, agent_id: str, action: str) -> HttpResponse:
    a = detail.agent_of(actor=user_of(request), public_id=agent_id)
    back = _client_page(a.client, "agents")
    if action not in ("edit", "revoke"):
        return redirect(back)
    revoke = action == "revoke"
    initial = {k: getattr(a, k) for k in services.people.AGENT_FIELDS}
    form: forms.Form = (ReasonForm if revoke else AgentEditForm)(
        request.POST if request.method == "POST" else None, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        reason = data.pop("reason")
        try:
            if revoke:
                services.agent_revoke(
                    actor=user_of(request),
                    agent_id=a.public_id,
                    reason=reason,
                    now=clock.now(),
                )
            else:
                services.agent_update(
                    actor=user_of(request),
                    agent_id=a.public_id,
                    changes=data,
                    reason=reason,
                    now=clock.now(),
                )
        except DomainError as exc:
            to_form(form, exc)
        else:
            messages.success(
                request, _("The agent is revoked.") if revoke else _("The agent is saved.")
            )
            return redirect(back)
    title = _("Revoke agent") if revoke else _("Edit agent")
    return _render(request, form, title, back, f"{a.client.client_no} · {a.name}", danger=revoke)


@console_view
def related_new(request: HttpRequest, client_no: str) -> HttpResponse:
    c = detail.client_by_number(actor=user_of(request), client_no=client_no)
    back = _client_page(c, "related")
    form = RelatedForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.related_create(
                actor=user_of(request),
                client_id=c.public_id,
                data=form.cleaned_data,
                now=clock.now(),
            )
        except DomainError as exc:
            to_form(form, exc)
        else:
            messages.success(request, _("The related person is added."))
            return redirect(back)
    return _render(request, form, _("Add a related person"), back, f"{c.client_no} · {c.name_en}")


@console_view
def related_edit(request: HttpRequest, person_id: str, action: str) -> HttpResponse:
    p = detail.related_of(actor=user_of(request), public_id=person_id)
    back = _client_page(p.client, "related")
    if action not in ("edit", "delete"):
        return redirect(back)
    delete = action == "delete"
    initial: dict[str, Any] = {k: getattr(p, k) for k in services.people.RELATED_FIELDS}
    form: forms.Form = (ReasonForm if delete else RelatedEditForm)(
        request.POST if request.method == "POST" else None, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        reason = data.pop("reason")
        try:
            if delete:
                services.related_delete(
                    actor=user_of(request),
                    person_id=p.public_id,
                    reason=reason,
                    now=clock.now(),
                )
            else:
                services.related_update(
                    actor=user_of(request),
                    person_id=p.public_id,
                    changes=data,
                    reason=reason,
                    now=clock.now(),
                )
        except DomainError as exc:
            to_form(form, exc)
        else:
            messages.success(
                request,
                _("The related person is removed.")
                if delete
                else _("The related person is saved."),
            )
            return redirect(back)
    title = _("Remove related person") if delete else _("Edit related person")
    return _render(request, form, title, back, f"{p.client.client_no} · {p.name}", danger=delete)
