"""Bearer-token authentication for the API (tokens are sessions; see identity)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from custodesk.core import clock


class BearerAuth(HttpBearer):
    """Resolve ``Authorization: Bearer <token>`` to a live API session.

    ``allow_password_change`` marks the few operations a user who must change
    the password may still call (the password change itself, sign-out, me).
    """

    openapi_scheme = "bearer"

    def __init__(self, *, allow_password_change: bool = False) -> None:
        super().__init__()
        self.allow_password_change = allow_password_change

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        from custodesk.identity.errors import PasswordChangeRequired, SessionEnded
        from custodesk.identity.models import User
        from custodesk.identity.selectors import session_by_token

        session = session_by_token(token=token)
        if session is None:
            return None
        if not session.is_live(clock.now()):
            raise SessionEnded(reason=session.end_reason or "expired")
        user = session.user
        if user.status != User.Status.ACTIVE:
            raise SessionEnded(reason=user.status)
        request.user = user  # also for the refusal's security event below
        if user.must_change_password and not self.allow_password_change:
            raise PasswordChangeRequired()
        request.custodesk_session = session  # type: ignore[attr-defined]
        return session


auth = BearerAuth()
auth_forced = BearerAuth(allow_password_change=True)


def actor(request: HttpRequest) -> Any:
    """The signed-in user of an authenticated API request."""
    return request.auth.user  # type: ignore[attr-defined]
