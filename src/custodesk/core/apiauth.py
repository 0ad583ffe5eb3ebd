"""Bearer-token authentication for every module's API.

The kernel knows no users: the module that issues API tokens declares how a token
resolves (``api_auth=`` in its ``module.py``; identity's ``apiauth.authenticate``).
Every module's API says ``auth=core.apiauth.auth`` and reads the caller with
:func:`actor`, so no module's API depends on identity's internals (and the operation
records, below identity, keep their API).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from . import modules


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
        return modules.api_authenticator()(
            request, token, allow_password_change=self.allow_password_change
        )


auth = BearerAuth()
auth_forced = BearerAuth(allow_password_change=True)


def actor(request: HttpRequest) -> Any:
    """The signed-in user of an authenticated API request."""
    return request.auth.user  # type: ignore[attr-defined]
