"""The API the broker's client app calls (``/api/v1/client-app``): sign in with the app
login, read who is signed in, change the password, sign out.  Its bearer tokens are
client-app sessions, not staff sessions."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router
from ninja.security import HttpBearer

from custodesk.core import clock, context

from . import services
from .models import Account, ClientAppSession
from .schemas_core import (
    BrokerClientMeOut,
    BrokerClientPasswordIn,
    BrokerClientSignInIn,
    BrokerClientSignInOut,
)


class ClientAppAuth(HttpBearer):
    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, token: str) -> ClientAppSession | None:
        return services.client_session(token[:200], now=clock.now())


client_auth = ClientAppAuth()
router = Router(tags=["client app"])


def _me(session: ClientAppSession) -> dict[str, Any]:
    login = session.login
    c = login.client
    return {
        "client_no": c.client_no,
        "name_en": c.name_en,
        "name_zh": c.name_zh,
        "login_name": login.login_name,
        "must_change_password": login.must_change_password,
        "accounts": list(
            c.accounts.filter(status=Account.Status.ACTIVE)
            .order_by("number")
            .values_list("number", flat=True)
        ),
    }


@router.post("/sign-in", auth=None, response=BrokerClientSignInOut)
def sign_in(
    request: HttpRequest, response: HttpResponse, payload: BrokerClientSignInIn
) -> dict[str, Any]:
    """Exchange login name + password for a bearer token; the attempt and its device are
    recorded.  Errors: `invalid_credentials` (401: unknown name, wrong password, or a
    lockout after five failures — not told apart), `login_locked`, `client_frozen`,
    `client_closed` (403, only after the right password)."""
    ctx = context.current()
    outcome = services.client_sign_in(
        login_name=payload.login_name,
        password=payload.password,
        device=services.Device(
            ip=ctx.ip or "",
            device_id=payload.device_id,
            device_model=payload.device_model,
            os=payload.os,
            app_version=payload.app_version,
        ),
        now=clock.now(),
    )
    if not outcome.ok:
        assert outcome.error is not None
        raise outcome.error
    assert outcome.session is not None
    response["Cache-Control"] = "no-store"
    return {
        "token": outcome.token,
        "expires_at": outcome.session.expires_at,
        "must_change_password": outcome.session.login.must_change_password,
        "client": _me(outcome.session),
    }


@router.get("/me", auth=client_auth, response=BrokerClientMeOut)
def me(request: HttpRequest) -> dict[str, Any]:
    return _me(request.auth)  # type: ignore[attr-defined]


@router.post("/password", auth=client_auth, response=BrokerClientMeOut)
def change_password(request: HttpRequest, payload: BrokerClientPasswordIn) -> dict[str, Any]:
    """Change the password (needed after a reset); other sessions end."""
    session = request.auth  # type: ignore[attr-defined]
    services.client_password_change(
        session=session,
        current_password=payload.current_password,
        new_password=payload.new_password,
        now=clock.now(),
    )
    session.login.refresh_from_db()
    return _me(session)


@router.post("/sign-out", auth=client_auth, response={204: None})
def sign_out(request: HttpRequest) -> tuple[int, None]:
    services.client_sign_out(session=request.auth, now=clock.now())  # type: ignore[attr-defined]
    return 204, None
