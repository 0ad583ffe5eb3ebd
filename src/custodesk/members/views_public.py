"""Public console pages (no sign-in): registration (REG-ENT, REG-IND) and forgotten
login name or password (FORGOT).

Registration is a wizard: the form (step 1) → the confirmation page with the SMS code
(step 2) → done.  What step 1 accepted waits in the session (the enterprise's archive
in ``uploads/pending``, checked like the final one) until step 2 submits it."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from custodesk.banks import selectors as bank_selectors
from custodesk.banks import services as banks
from custodesk.console.errors import to_form, to_messages
from custodesk.core import clock
from custodesk.core.errors import DomainError
from custodesk.identity import services as identity

from . import services, uploads
from .errors import CardAuthenticationFailed
from .forms import (
    CodeForm,
    EnterpriseRegisterForm,
    ForgotEnterpriseForm,
    ForgotIndividualForm,
    IndividualRegisterForm,
)
from .models import IdType

WIZARD = "members.registration"
LABELS = {
    **{n: f.label for n, f in EnterpriseRegisterForm.base_fields.items()},
    **{n: f.label for n, f in IndividualRegisterForm.base_fields.items()},
    "bank_code": gettext_lazy("Bank"),
    "branch_code": gettext_lazy("Branch"),
}


def _language() -> str:
    return translation.get_language() or ""


def _wizard(request: HttpRequest, kind: str) -> dict[str, Any] | None:
    state = request.session.get(WIZARD)
    return state if isinstance(state, dict) and state.get("kind") == kind else None


def _forget(request: HttpRequest) -> None:
    state = request.session.pop(WIZARD, None)
    if isinstance(state, dict) and state.get("archive"):
        uploads.discard(uploads.StoredArchive(**state["archive"]))


def register_start(request: HttpRequest) -> HttpResponse:
    return render(request, "members/register_start.html")


# -- REG-ENT ---------------------------------------------------------------------------
@csrf_exempt
def register_enterprise(request: HttpRequest) -> HttpResponse:
    """The archive's upload handlers go in before anything reads the body (the CSRF
    check included): at most 5 MB of the file is ever taken."""
    handler = None
    if request.method == "POST":
        if uploads.declared_too_large(request):  # refused unread (nothing is done)
            state = _wizard(request, "enterprise")
            form = EnterpriseRegisterForm(initial=dict(state["values"]) if state else {})
            messages.error(request, str(uploads.too_large().errors[0].message))
            return render(request, "members/register_enterprise.html", {"form": form}, status=413)
        handler = uploads.install_handler(request)
    return _register_enterprise(request, handler)


@csrf_protect
def _register_enterprise(
    request: HttpRequest, handler: uploads.ArchiveUploadHandler | None
) -> HttpResponse:
    state = _wizard(request, "enterprise")
    initial = dict(state["values"]) if state else {}
    form = EnterpriseRegisterForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST":
        if handler is not None and handler.exceeded:
            form.add_error("archive", str(uploads.too_large().errors[0].message))
        elif form.is_valid():
            data = {k: v for k, v in form.cleaned_data.items() if k != "archive"}
            try:
                clean, warnings = services.enterprise_check(
                    services.EnterpriseForm(**data), now=clock.now()
                )
                upload = form.cleaned_data.get("archive")
                stored = uploads.store_archive(
                    upload, getattr(upload, "name", "") or "", pending=True
                )
            except DomainError as exc:
                to_form(form, exc)
            else:
                _forget(request)
                request.session[WIZARD] = {
                    "kind": "enterprise",
                    "values": clean,
                    "warnings": warnings,
                    "archive": dataclasses.asdict(stored),
                }
                return redirect("console:member_register_enterprise_confirm")
    return render(request, "members/register_enterprise.html", {"form": form})


def _send_code(request: HttpRequest, phone: str, purpose: str, key: str) -> None:
    try:
        challenge = identity.verification_send(
            purpose=purpose, phone=phone, language=_language(), now=clock.now()
        )
    except DomainError as exc:
        to_messages(request, exc)
        return
    request.session[key] = str(challenge.public_id)
    messages.success(request, _("A code was sent by SMS to %(phone)s.") % {"phone": phone})


def _shown(values: dict[str, str]) -> list[tuple[Any, Any]]:
    """The confirmation page's lines: label and value (an ID type by its name)."""
    return [
        (LABELS.get(k, k), IdType(v).label if k == "id_type" else v) for k, v in values.items() if v
    ]


def register_enterprise_confirm(request: HttpRequest) -> HttpResponse:
    state = _wizard(request, "enterprise")
    if state is None:
        return redirect("console:member_register_enterprise")
    form = CodeForm(request.POST or None)
    values = state["values"]
    if request.method == "POST" and form.is_valid():
        if request.POST.get("action") == "send":
            _send_code(request, values["mobile"], services.PURPOSE_REGISTER, WIZARD + ".code")
        else:
            stored = uploads.StoredArchive(**state["archive"])
            try:
                with uploads.absolute(stored.path, pending=True).open("rb") as archive:
                    app = services.enterprise_apply(
                        form=services.EnterpriseForm(**values),
                        archive=archive,
                        archive_name=stored.name,
                        challenge_id=request.session.get(WIZARD + ".code", ""),
                        sms_code=form.cleaned_data["sms_code"],
                        language_code=_language(),
                        now=clock.now(),
                    )
            except OSError:
                messages.error(request, _("The archive is no longer here: upload it again."))
                return redirect("console:member_register_enterprise")
            except DomainError as exc:
                to_form(form, exc)
            else:
                _forget(request)
                request.session["members.done"] = {"kind": "enterprise", "ref": str(app.public_id)}
                return redirect("console:member_register_done")
    return render(
        request,
        "members/register_confirm.html",
        {
            "form": form,
            "kind": "enterprise",
            "values": _shown(values),
            "warnings": state.get("warnings", []),
            "archive": state["archive"],
            "phone": values["mobile"],
            "back": "console:member_register_enterprise",
        },
    )


# -- REG-IND ---------------------------------------------------------------------------
def _bank_of(branch_code: str) -> str:
    branch = bank_selectors.branch(branch_code) if branch_code else None
    return branch.bank.code if branch is not None else ""


def register_individual(request: HttpRequest) -> HttpResponse:
    state = _wizard(request, "individual")
    initial = dict(state["values"]) if state else {}
    if state and state.get("retry"):
        initial.pop("card_number", None)
    form = IndividualRegisterForm(request.POST or None, initial=initial)
    branch = request.POST.get("branch_code", "") if request.method == "POST" else ""
    if request.method == "POST" and form.is_valid():
        data = {
            **form.cleaned_data,
            "branch_code": branch,
            "bank_code": _bank_of(branch) or request.POST.get("branch_code_bank", ""),
        }
        try:
            clean, warnings = services.individual_check(
                services.IndividualForm(**data), now=clock.now()
            )
        except DomainError as exc:
            to_form(form, exc)
        else:
            request.session[WIZARD] = {"kind": "individual", "values": clean, "warnings": warnings}
            return redirect("console:member_register_individual_confirm")
    return render(
        request,
        "members/register_individual.html",
        {"form": form, "branch": branch or initial.get("branch_code", "")},
    )


def register_individual_confirm(request: HttpRequest) -> HttpResponse:
    state = _wizard(request, "individual")
    if state is None:
        return redirect("console:member_register_individual")
    form = CodeForm(request.POST or None)
    values = state["values"]
    if request.method == "POST" and form.is_valid():
        if request.POST.get("action") == "send":
            _send_code(request, values["phone"], services.PURPOSE_REGISTER, WIZARD + ".code")
        else:
            try:
                done = services.individual_register(
                    form=services.IndividualForm(**values),
                    challenge_id=request.session.get(WIZARD + ".code", ""),
                    sms_code=form.cleaned_data["sms_code"],
                    language_code=_language(),
                    now=clock.now(),
                )
            except CardAuthenticationFailed as exc:
                reason = str(banks.REASONS.get(exc.data.get("reason", ""), ""))
                messages.error(request, f"{exc.title} {reason}".strip())
                request.session[WIZARD] = {**state, "retry": True}
                return redirect("console:member_register_individual")
            except DomainError as exc:
                to_form(form, exc)
            else:
                _forget(request)
                request.session["members.done"] = {
                    "kind": "individual",
                    "ref": str(done.member.public_id),
                }
                return redirect("console:member_register_done")
    return render(
        request,
        "members/register_confirm.html",
        {
            "form": form,
            "kind": "individual",
            "values": _shown(values),
            "warnings": state.get("warnings", []),
            "phone": values["phone"],
            "back": "console:member_register_individual",
        },
    )


def register_done(request: HttpRequest) -> HttpResponse:
    done = request.session.get("members.done")
    if not isinstance(done, dict):
        return redirect("console:member_register")
    return render(request, "members/register_done.html", {"kind": done.get("kind")})


# -- FORGOT ----------------------------------------------------------------------------
FORGOT_CODE = "members.forgot.code"


def forgot(request: HttpRequest, kind: str = "") -> HttpResponse:
    if kind not in ("", "enterprise", "individual"):
        raise Http404
    if not kind:
        return render(request, "members/forgot_start.html")
    form_class = ForgotEnterpriseForm if kind == "enterprise" else ForgotIndividualForm
    form = form_class(request.POST or None)
    bank_code = request.POST.get("bank_code", "") if request.method == "POST" else ""
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        phone = data["mobile"] if kind == "enterprise" else data["phone"]
        if request.POST.get("action") == "send":
            _send_code(request, phone, services.PURPOSE_FORGOT, FORGOT_CODE)
        else:
            try:
                if kind == "enterprise":
                    done = services.forgot_enterprise(
                        **data, challenge_id=request.session.get(FORGOT_CODE, ""),
                        now=clock.now(),
                    )  # fmt: skip
                else:
                    done = services.forgot_individual(
                        **data, bank_code=bank_code,
                        challenge_id=request.session.get(FORGOT_CODE, ""), now=clock.now(),
                    )  # fmt: skip
            except DomainError as exc:
                to_form(form, exc)
            else:
                request.session.pop(FORGOT_CODE, None)
                return render(request, "members/forgot_done.html", {"username": done.username})
    return render(
        request,
        "members/forgot.html",
        {
            "form": form,
            "kind": kind,
            "banks": bank_selectors.banks() if kind == "individual" else [],
            "bank_code": bank_code,
        },
    )
