"""Console pages for identity and access: sign-in, password, security, users, roles, devices."""

from __future__ import annotations

import base64
from typing import Any

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from custodesk.approvals import services as approval_services
from custodesk.console.decorators import console_view
from custodesk.console.errors import to_form, to_messages
from custodesk.console.paging import clean_filters, paginate
from custodesk.core import access, clock
from custodesk.core.errors import DomainError

from . import exports, governance, selectors, services
from . import permissions as perms
from .approvals import ROLE_GRANT, ROLE_REVOKE
from .errors import LockedOut
from .models import LoginDevice, SecurityEvent, User


# -- forms ---------------------------------------------------------------------
class PasswordChangeForm(forms.Form):
    current_password = forms.CharField(
        label=gettext_lazy("Current password"), widget=forms.PasswordInput
    )
    new_password = forms.CharField(label=gettext_lazy("New password"), widget=forms.PasswordInput)
    new_password_again = forms.CharField(
        label=gettext_lazy("New password again"), widget=forms.PasswordInput
    )


class CodeForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Code from the app"), max_length=10)


class UserCreateForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("User name"), max_length=150)
    full_name = forms.CharField(label=gettext_lazy("Full name"), max_length=200)
    email = forms.CharField(label=gettext_lazy("E-mail"), max_length=254, required=False)
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=32, required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=500
    )


class OptionalReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=500,
        required=False,
    )


class GrantForm(forms.Form):
    role = forms.ChoiceField(label=gettext_lazy("Role"))


@console_view
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.password_change(
                user=request.user,  # type: ignore[arg-type]
                session=request.custodesk_session,  # type: ignore[attr-defined]
                now=clock.now(),
                **form.cleaned_data,
            )
        except LockedOut as exc:  # too many wrong current passwords: every session ended
            logout(request)
            messages.error(request, str(exc.title))
            return redirect("console:sign_in")
        except DomainError as exc:
            to_form(form, exc)
        else:
            # The session hash covers the password: keep this session signed in.
            update_session_auth_hash(request, user)
            messages.success(request, _("Your password has been changed."))
            return redirect("console:home")
    return render(
        request,
        "identity/password_change.html",
        {"form": form, "forced": request.user.must_change_password},  # type: ignore[union-attr]
    )


# -- my security ---------------------------------------------------------------
@console_view
def security(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    current = request.custodesk_session  # type: ignore[attr-defined]
    context: dict[str, Any] = {
        "totp_enrolled": services.has_totp(user),
        "totp_required": services.needs_totp_enrolment(user),
        "sms_factor": user.organisation.sign_in_factor == "sms",
        "sessions": selectors.session_list(actor=user, user=user, now=clock.now()),
        "current_session": current,
        "recent_sign_ins": selectors.login_device_list(actor=user, user=user)[:10],
        "code_form": CodeForm(),
    }
    return render(request, "identity/security.html", context)


@console_view
@require_POST
def totp_begin(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    try:
        device = services.totp_begin(user=user, now=clock.now())
    except DomainError as exc:
        to_messages(request, exc)
        return redirect("console:security")
    uri = device.config_url
    return render(
        request,
        "identity/totp_enrol.html",
        {
            "qr": segno.make(uri, error="m").svg_data_uri(scale=5),
            "secret": base64.b32encode(device.bin_key).decode(),
            "form": CodeForm(),
        },
    )


@console_view
@require_POST
def totp_confirm(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = CodeForm(request.POST)
    if form.is_valid():
        try:
            codes = services.totp_confirm(
                user=user, code=form.cleaned_data["code"], now=clock.now()
            )
        except DomainError as exc:
            to_messages(request, exc)
            return redirect("console:security")
        return render(request, "identity/totp_codes.html", {"codes": codes})
    return redirect("console:security")


# -- users ---------------------------------------------------------------------
USER_FILTERS = ["q", "status", "role"]


@console_view
def user_list(request: HttpRequest) -> HttpResponse:
    actor: User = request.user  # type: ignore[assignment]
    filters = clean_filters(request, USER_FILTERS)
    page, size = paginate(request, selectors.user_list(actor=actor, filters=filters))
    return render(
        request,
        "identity/user_list.html",
        {
            "page": page,
            "page_size": size,
            "filters": filters,
            "statuses": User.Status.choices,
            "roles": selectors.role_list(actor=actor)
            if actor.has_permission(perms.ROLE_VIEW)
            else [],
            "can_manage": actor.has_permission(perms.USER_MANAGE),
        },
    )


@console_view
def user_new(request: HttpRequest) -> HttpResponse:
    actor: User = request.user  # type: ignore[assignment]
    access.require(actor, perms.USER_MANAGE)
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user, temp = services.user_create(actor=actor, now=clock.now(), **form.cleaned_data)
        except DomainError as exc:
            to_form(form, exc)
        else:
            return render(
                request, "identity/temporary_password.html", {"subject": user, "password": temp}
            )
    return render(request, "identity/user_new.html", {"form": form})


@console_view
def user_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    actor: User = request.user  # type: ignore[assignment]
    user = selectors.user_get(actor=actor, public_id=public_id)
    grants = selectors.user_grants(actor=actor, user=user, include_revoked=True)
    held = {g.role_id for g in grants if g.revoked_at is None}
    grant_form = None
    if actor.has_permission(perms.ROLE_GRANT):
        grant_form = GrantForm()
        role_field = grant_form.fields["role"]
        assert isinstance(role_field, forms.ChoiceField)
        role_field.choices = [
            (str(r.public_id), f"{r.name} ({r.code})")
            for r in selectors.role_list(actor=actor)
            if r.pk not in held
        ]
    can_see_devices = actor.has_permission(perms.LOGIN_DEVICE_VIEW) or actor.pk == user.pk
    return render(
        request,
        "identity/user_detail.html",
        {
            "subject": user,
            "grants": grants,
            "grant_form": grant_form,
            "totp_enrolled": services.has_totp(user),
            "sessions": selectors.session_list(actor=actor, user=user, now=clock.now())
            if can_see_devices
            else [],
            "devices": selectors.login_device_list(actor=actor, user=user)[:20]
            if can_see_devices
            else [],
            "can_manage": actor.has_permission(perms.USER_MANAGE),
            "can_force_logout": actor.has_permission(perms.SESSION_FORCE_LOGOUT),
            "tab": request.GET.get("tab", "roles"),
        },
    )


_USER_ACTIONS: dict[str, dict[str, Any]] = {
    "lock": {
        "title": gettext_lazy("Lock user"),
        "form": ReasonForm,
        "run": lambda actor, uid, data, now: services.user_lock(
            actor=actor, user_id=uid, reason=data["reason"], now=now
        ),
        "done": gettext_lazy("The user is locked and its sessions have ended."),
        "danger": True,
    },
    "unlock": {
        "title": gettext_lazy("Unlock user"),
        "form": OptionalReasonForm,
        "submit": governance.USER_UNLOCK,
        "done": gettext_lazy("The user is unlocked."),
        "danger": False,
    },
    "deactivate": {
        "title": gettext_lazy("Deactivate user"),
        "form": ReasonForm,
        "run": lambda actor, uid, data, now: services.user_deactivate(
            actor=actor, user_id=uid, reason=data["reason"], now=now
        ),
        "done": gettext_lazy("The user is deactivated."),
        "danger": True,
    },
    "remove-totp": {
        "title": gettext_lazy("Remove authenticator"),
        "form": ReasonForm,
        "submit": governance.TOTP_REMOVE,
        "done": gettext_lazy("The authenticator has been removed."),
        "danger": True,
    },
    "force-logout": {
        "title": gettext_lazy("Force logout of every session"),
        "form": forms.Form,
        "run": lambda actor, uid, data, now: services.sessions_force_logout_all(
            actor=actor, user_id=uid, now=now
        ),
        "done": gettext_lazy("Every session of the user has ended."),
        "danger": True,
    },
}


@console_view
def user_action(request: HttpRequest, public_id: str, action: str) -> HttpResponse:
    """Confirmation page (GET) and execution (POST) of a sensitive action on a user.

    Unlocking, resetting the password and removing the authenticator are changes to the
    controls: they are submitted to the approval engine (a second administrator approves
    in dual-admin mode).  A reset's temporary password is shown to no administrator: it
    goes to the user through the outbox.
    """
    actor: User = request.user  # type: ignore[assignment]
    subject = selectors.user_get(actor=actor, public_id=public_id)
    if action == "reset-password":
        spec: dict[str, Any] = {
            "title": gettext_lazy("Reset password"),
            "form": forms.Form,
            "submit": governance.USER_RESET_PASSWORD,
            "done": gettext_lazy("The password has been reset."),
            "danger": True,
        }
    elif action in _USER_ACTIONS:
        spec = _USER_ACTIONS[action]
    else:
        return redirect("console:user_detail", public_id=public_id)
    form = spec["form"](request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            if "submit" in spec:
                reason = form.cleaned_data.get("reason", "")
                sub = approval_services.submit(
                    actor=actor,
                    action_type=spec["submit"],
                    payload={"user_id": str(subject.public_id), "reason": reason},
                    comment=reason,
                    now=clock.now(),
                )
            else:
                spec["run"](actor, subject.public_id, form.cleaned_data, clock.now())
        except DomainError as exc:
            to_form(form, exc)
        else:
            if "submit" in spec:
                _submitted_message(request, sub, str(spec["done"]))
            else:
                messages.success(request, str(spec["done"]))
            return redirect("console:user_detail", public_id=public_id)
    return render(
        request,
        "identity/user_action.html",
        {"subject": subject, "form": form, "title": spec["title"], "danger": spec["danger"]},
    )


def _submitted_message(request: HttpRequest, sub: Any, done: str) -> None:
    if sub.executed:
        messages.success(request, done)
    else:
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


@console_view
@require_POST
def user_grant(request: HttpRequest, public_id: str) -> HttpResponse:
    actor: User = request.user  # type: ignore[assignment]
    try:
        sub = approval_services.submit(
            actor=actor,
            action_type=ROLE_GRANT,
            payload={"user_id": public_id, "role_id": request.POST.get("role", "")},
            now=clock.now(),
        )
    except DomainError as exc:
        to_messages(request, exc)
    else:
        _submitted_message(request, sub, _("The role has been granted."))
    return redirect("console:user_detail", public_id=public_id)


@console_view
def user_revoke(request: HttpRequest, public_id: str, role_id: str) -> HttpResponse:
    actor: User = request.user  # type: ignore[assignment]
    subject = selectors.user_get(actor=actor, public_id=public_id)
    role = selectors.role_get(actor=actor, public_id=role_id)
    if request.method == "POST":
        try:
            sub = approval_services.submit(
                actor=actor,
                action_type=ROLE_REVOKE,
                payload={"user_id": public_id, "role_id": role_id},
                comment=request.POST.get("reason", ""),
                now=clock.now(),
            )
        except DomainError as exc:
            to_messages(request, exc)
        else:
            _submitted_message(request, sub, _("The role has been revoked."))
        return redirect("console:user_detail", public_id=public_id)
    return render(
        request,
        "identity/user_action.html",
        {
            "subject": subject,
            "form": OptionalReasonForm(),
            "title": _("Revoke role %(role)s") % {"role": role.name},
            "danger": True,
        },
    )


# -- roles ---------------------------------------------------------------------
@console_view
def role_list(request: HttpRequest) -> HttpResponse:
    actor: User = request.user  # type: ignore[assignment]
    roles = list(selectors.role_list(actor=actor))
    catalogue = access.all_permissions()
    labels = {p.code: p.label for p in catalogue}
    return render(
        request,
        "identity/role_list.html",
        {
            "roles": [
                {"role": r, "permissions": [labels.get(c, c) for c in r.permissions]} for r in roles
            ],
        },
    )


# -- login devices and sessions --------------------------------------------------
DEVICE_FILTERS = ["username", "result", "ip", "device_id", "date_from", "date_to"]


@console_view
def login_devices(request: HttpRequest) -> HttpResponseBase:
    actor: User = request.user  # type: ignore[assignment]
    filters = clean_filters(request, DEVICE_FILTERS)
    records = selectors.login_device_list(actor=actor, filters=filters)
    fmt = request.GET.get("export")
    if fmt in {"csv", "xlsx"}:
        return exports.login_devices(records[: exports.EXPORT_LIMIT].iterator(), fmt)
    page, size = paginate(request, records)
    sessions = selectors.session_list(actor=actor, now=clock.now())[:100]
    return render(
        request,
        "identity/login_devices.html",
        {
            "page": page,
            "page_size": size,
            "filters": filters,
            "results": LoginDevice.Result.choices,
            "sessions": sessions,
            "can_force_logout": actor.has_permission(perms.SESSION_FORCE_LOGOUT),
            "current_session": request.custodesk_session,  # type: ignore[attr-defined]
        },
    )


SECURITY_EVENT_FILTERS = ["username", "reason", "ip", "device_id", "route", "date_from", "date_to"]


@console_view
def security_events(request: HttpRequest) -> HttpResponseBase:
    """Refused attempts (sign-ins, second factor, current password, 403s), filterable
    and exportable beside the login-device records."""
    actor: User = request.user  # type: ignore[assignment]
    filters = clean_filters(request, SECURITY_EVENT_FILTERS)
    events = selectors.security_event_list(actor=actor, filters=filters)
    fmt = request.GET.get("export")
    if fmt in {"csv", "xlsx"}:
        return exports.security_events(events[: exports.EXPORT_LIMIT].iterator(), fmt)
    page, size = paginate(request, events)
    return render(
        request,
        "identity/security_events.html",
        {
            "page": page,
            "page_size": size,
            "filters": filters,
            "reasons": SecurityEvent.Reason.choices,
        },
    )


@console_view
def session_force_logout(request: HttpRequest, public_id: str) -> HttpResponse:
    actor: User = request.user  # type: ignore[assignment]
    back = request.POST.get("back") or request.GET.get("back") or reverse("console:login_devices")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}):
        back = reverse("console:login_devices")
    if request.method == "POST":
        try:
            services.session_force_logout(actor=actor, session_id=public_id, now=clock.now())
        except DomainError as exc:
            to_messages(request, exc)
        else:
            messages.success(request, _("The session has been ended."))
        return redirect(back)
    return render(
        request,
        "identity/session_confirm.html",
        {"title": _("Force logout"), "back": back, "session_id": public_id},
    )
