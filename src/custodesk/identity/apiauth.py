"""How a bearer token resolves to an API session (declared as ``api_auth`` in
identity's ``module.py``; ``custodesk.core.apiauth.BearerAuth`` calls it)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from custodesk.core import clock

from . import selectors
from .errors import PasswordChangeRequired, SessionEnded
from .models import User


def authenticate(request: HttpRequest, token: str, *, allow_password_change: bool) -> Any:
    """The live API session of ``token`` (None: no such session), its user set on the
    request; SessionEnded / PasswordChangeRequired when it may not be used."""
    session = selectors.session_by_token(token=token)
    if session is None:
        return None
    if not session.is_live(clock.now()):
        raise SessionEnded(reason=session.end_reason or "expired")
    user = session.user
    if user.status != User.Status.ACTIVE:
        raise SessionEnded(reason=user.status)
    if user.must_change_password and not allow_password_change:
        raise PasswordChangeRequired()
    request.user = user
    request.custodesk_session = session  # type: ignore[attr-defined]
    return session
