"""How a bearer token resolves to an API session (declared as ``api_auth`` in
identity's ``module.py``; ``custodesk.core.apiauth.BearerAuth`` calls it)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from custodesk.core import clock

from . import selectors, services
from .errors import PasswordChangeRequired, SecondFactorEnrolmentRequired, SessionEnded
from .models import User


def authenticate(request: HttpRequest, token: str, *, allow_password_change: bool) -> Any:
    """The live API session of ``token`` (None: no such session), its user set on the
    request; SessionEnded / PasswordChangeRequired / SecondFactorEnrolmentRequired
    when it may not be used (the routes of ``auth_forced`` — password change, sign-out,
    me — and the authenticator enrolment's, which set ``request.custodesk_enrolling``,
    stay open to a user who must enrol)."""
    session = selectors.session_by_token(token=token)
    if session is None:
        return None
    if not session.is_live(clock.now()):
        raise SessionEnded(reason=session.end_reason or "expired")
    user = session.user
    if user.status != User.Status.ACTIVE:
        raise SessionEnded(reason=user.status)
    request.user = user  # also for the refusal's security event below
    if user.must_change_password and not allow_password_change:
        raise PasswordChangeRequired()
    if (
        not allow_password_change
        and not getattr(request, "custodesk_enrolling", False)
        and services.needs_totp_enrolment(user)
    ):
        # the organisation requires an authenticator: enrol it first (POST /me/totp)
        raise SecondFactorEnrolmentRequired()
    request.custodesk_session = session  # type: ignore[attr-defined]
    return session
