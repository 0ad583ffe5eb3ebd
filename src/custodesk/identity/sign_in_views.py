"""Console sign-in: user name, password and (when due) the captcha; the second step
(authenticator or SMS code); sign-out; and the login name change of "My security"."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from custodesk.console.decorators import console_view
from custodesk.console.errors import to_form
from custodesk.core import clock
from custodesk.core.errors import DomainError

from . import captcha, services
from .errors import LockedOut, SignInExpired
from .middleware import SESSION_KEY
from .models import LoginDevice, User, UserSession

PENDING_OTP_KEY = "custodesk_pending_otp"
_CAPTCHA_CODES = ("captcha_required", "captcha_invalid")


# -- forms ---------------------------------------------------------------------
class SignInForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("User name"), max_length=150)
    password = forms.CharField(
        label=gettext_lazy("Password"), widget=forms.PasswordInput, max_length=256
    )
    # shown (with its image) once a captcha is due: after a refused attempt
    captcha_key = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)
    captcha_value = forms.CharField(
        label=gettext_lazy("Characters in the image"),
        required=False,
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )


class OtpForm(forms.Form):
    otp_code = forms.CharField(
        label=gettext_lazy("Authenticator code"),
        max_length=32,
        help_text=gettext_lazy("The 6-digit code from your app, or a recovery code."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class SmsCodeForm(forms.Form):
    otp_code = forms.CharField(
        label=gettext_lazy("SMS code"),
        max_length=6,
        help_text=gettext_lazy("The 6-digit code we sent to your phone (valid 5 minutes)."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class UsernameChangeForm(forms.Form):
    new_username = forms.CharField(
        label=gettext_lazy("New login name"),
        max_length=64,
        help_text=services.self_service.LOGIN_NAME_RULE,
    )
    new_username_again = forms.CharField(label=gettext_lazy("New login name again"), max_length=64)
    current_password = forms.CharField(
        label=gettext_lazy("Current password"), widget=forms.PasswordInput, max_length=256
    )


# -- sign-in -------------------------------------------------------------------
def _safe_next(request: HttpRequest) -> str:
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    if nxt and url_has_allowed_host_and_scheme(nxt, {request.get_host()}):
        return nxt
    return reverse("console:home")


def _finish_sign_in(
    request: HttpRequest, outcome: services.SignInOutcome, nxt: str | None = None
) -> HttpResponse:
    assert outcome.user is not None and outcome.session is not None
    login(request, outcome.user, backend="django.contrib.auth.backends.ModelBackend")
    request.session[SESSION_KEY] = outcome.session.pk
    request.session.pop(PENDING_OTP_KEY, None)
    if outcome.user.must_change_password:
        return redirect("console:password_change")
    if services.needs_totp_enrolment(outcome.user):
        return redirect("console:security")
    return redirect(nxt or _safe_next(request))


def _with_new_captcha(form: SignInForm) -> dict[str, Any]:
    """The page shows a fresh captcha (the last one, if any, was used up)."""
    key = captcha.new_key()
    if form.is_bound:
        data = form.data.copy()  # type: ignore[attr-defined]  # the POST's QueryDict
        data["captcha_key"] = key
        data["captcha_value"] = ""
        form.data = data
    else:
        form.initial["captcha_key"] = key
    return {"key": key, "image_url": captcha.image_url(key)}


def sign_in(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("console:home")
    form = SignInForm(request.POST or None)
    shown: dict[str, Any] | None = None
    if request.method == "POST" and form.is_valid():
        outcome = services.sign_in(
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password"],
            otp_code=None,
            captcha_key=form.cleaned_data["captcha_key"] or None,
            captcha_value=form.cleaned_data["captcha_value"] or None,
            kind=UserSession.Kind.CONSOLE,
            now=clock.now(),
        )
        if outcome.ok:
            return _finish_sign_in(request, outcome)
        if outcome.result == LoginDevice.Result.OTP_REQUIRED:
            # The password was right; the second step asks for the code.  The session
            # keeps no password, only a signed, short-lived proof of this step.
            assert outcome.user is not None and isinstance(outcome.error, DomainError)
            request.session[PENDING_OTP_KEY] = {
                "proof": services.password_proof(
                    user=outcome.user, binding=_session_binding(request), now=clock.now()
                ),
                "next": _safe_next(request),
                "second_factor": outcome.error.data.get("second_factor", "totp"),
                "challenge_id": outcome.data.get("challenge_id"),
                "phone_hint": outcome.error.data.get("phone_hint", ""),
            }
            return redirect("console:sign_in_otp")
        assert isinstance(outcome.error, DomainError)
        # every refusal makes a captcha due for the next attempt
        shown = _with_new_captcha(form)
        if outcome.error.code in _CAPTCHA_CODES:
            form.add_error("captcha_value", str(outcome.error.title))
        else:
            form.add_error(None, str(outcome.error.title))
    elif request.method == "POST" and request.POST.get("captcha_key"):
        # the form is incomplete: the captcha (not used yet) stays on the page
        key = str(request.POST["captcha_key"])[:40]
        shown = {"key": key, "image_url": captcha.image_url(key)}
    elif request.GET.get("captcha") == "1":
        shown = _with_new_captcha(form)
    return render(
        request,
        "identity/sign_in.html",
        {"form": form, "next": request.GET.get("next", ""), "captcha": shown},
    )


def sign_in_captcha(request: HttpRequest) -> HttpResponse:
    """A new captcha image for the sign-in form (htmx swaps it in; without script the
    link reloads the page with one)."""
    key = captcha.new_key()
    return render(
        request,
        "identity/_captcha.html",
        {"captcha": {"key": key, "image_url": captcha.image_url(key)}},
    )


def _session_binding(request: HttpRequest) -> str:
    """The browser's session key, which the password step's proof is bound to."""
    if not request.session.session_key:
        request.session.save()
    return str(request.session.session_key)


def sign_in_otp(request: HttpRequest) -> HttpResponse:
    pending = request.session.get(PENDING_OTP_KEY)
    if not pending or "proof" not in pending:
        return redirect("console:sign_in")
    sms = pending.get("second_factor") == "sms"
    form = (SmsCodeForm if sms else OtpForm)(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            outcome = services.sign_in_second_factor(
                proof=pending["proof"],
                binding=_session_binding(request),
                otp_code=form.cleaned_data["otp_code"],
                challenge_id=pending.get("challenge_id"),
                kind=UserSession.Kind.CONSOLE,
                now=clock.now(),
            )
        except DomainError as exc:  # the proof ran out: start again with the password
            request.session.pop(PENDING_OTP_KEY, None)
            messages.error(request, str(exc.title))
            return redirect("console:sign_in")
        if outcome.ok:
            request.session.pop(PENDING_OTP_KEY, None)
            return _finish_sign_in(request, outcome, pending.get("next", ""))
        assert isinstance(outcome.error, DomainError)
        rule = outcome.error.data.get("rule", "")
        if outcome.result != LoginDevice.Result.BAD_OTP or rule in (
            "code_expired",
            "code_used",
            "code_attempts_exceeded",
        ):
            # locked out, or the SMS code is dead: start again with the password
            request.session.pop(PENDING_OTP_KEY, None)
            messages.error(request, str(outcome.error.detail or outcome.error.title))
            return redirect(reverse("console:sign_in") + "?captcha=1")
        form.add_error("otp_code", str(outcome.error.detail or outcome.error.title))
    return render(
        request,
        "identity/sign_in_otp.html",
        {"form": form, "sms": sms, "phone_hint": pending.get("phone_hint", "")},
    )


@require_POST
def sign_in_sms_resend(request: HttpRequest) -> HttpResponse:
    """Another SMS code for the second step (at most one a minute)."""
    pending = request.session.get(PENDING_OTP_KEY)
    if not pending or pending.get("second_factor") != "sms":
        return redirect("console:sign_in")
    try:
        challenge = services.sign_in_sms_resend(
            proof=pending["proof"], binding=_session_binding(request), now=clock.now()
        )
    except SignInExpired as exc:
        request.session.pop(PENDING_OTP_KEY, None)
        messages.error(request, str(exc.title))
        return redirect("console:sign_in")
    except DomainError as exc:  # throttled: the code sent last is still the one
        messages.error(request, str(exc.title))
        return redirect("console:sign_in_otp")
    request.session[PENDING_OTP_KEY] = {**pending, "challenge_id": str(challenge.public_id)}
    messages.success(request, _("A new code has been sent."))
    return redirect("console:sign_in_otp")


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    session = getattr(request, "custodesk_session", None)
    if session is not None:
        services.sign_out(session=session, now=clock.now())
    logout(request)
    messages.info(request, _("You have signed out."))
    return redirect("console:sign_in")


# -- my login name (SELF-CRED) ---------------------------------------------------
@console_view
def username_change(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = UsernameChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.username_change(user=user, now=clock.now(), **form.cleaned_data)
        except LockedOut as exc:  # too many wrong current passwords: every session ended
            logout(request)
            messages.error(request, str(exc.title))
            return redirect("console:sign_in")
        except DomainError as exc:
            to_form(form, exc)
        else:
            messages.success(request, _("Your login name has been changed."))
            return redirect("console:security")
    return render(request, "identity/username_change.html", {"form": form})
