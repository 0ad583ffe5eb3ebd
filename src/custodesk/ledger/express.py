"""``POST /api/v1/ledger/transfers`` on the express lane (:mod:`custodesk.core.express`).

Answers only a transfer booked in one round trip (PostgreSQL's ``ledger_book_one``),
with exactly the body and status the ordinary view gives (``api.create_transfer``: the
same authentication, permission, schema, spec, service and renderer).  Declines — having
changed nothing — whenever the answer would be anything else: no or a bad token, no
permission, a body that does not validate, an unknown account, a refusal (the general
path records it), an idempotency key already seen (a replay or a conflict), a group
member, SQLite.  The ordinary view then answers, once.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from pydantic import ValidationError

from custodesk.core import clock
from custodesk.core.apiauth import auth
from custodesk.core.errors import DomainError

from . import api, engine, services
from . import permissions as perms
from .schemas import TransferIn, TransferOut

STATUS = 201


def _token(request: HttpRequest) -> str | None:
    """The bearer token, parsed as django-ninja's ``HttpBearer`` parses it."""
    value = request.META.get("HTTP_AUTHORIZATION")
    if not value:
        return None
    parts = value.split(" ")
    if parts[0].lower() != auth.openapi_scheme:
        return None
    return " ".join(parts[1:])


def create_transfer(request: HttpRequest) -> HttpResponse | None:
    if not engine._is_postgres() or request.content_type != "application/json":
        return None
    token = _token(request)
    if token is None:
        return None
    try:
        session = auth.authenticate(request, token)
    except DomainError:  # ended session, inactive user, password change due
        return None
    if session is None or not session.user.has_permission(perms.TRANSFER):
        return None
    request.auth = session  # type: ignore[attr-defined]  # as django-ninja sets it
    try:
        payload = TransferIn.model_validate(json.loads(request.body))
        spec = api._spec(payload, request.META.get("HTTP_IDEMPOTENCY_KEY"), by_code=True)
    except (ValueError, ValidationError, DomainError):  # 422 / 404: the view answers
        return None
    from custodesk.config.api import api as root  # the NinjaAPI: handlers, renderer

    try:
        out = services.book_one_express(
            spec,
            requested_by=session.user,
            now=clock.now(),
            business_date=clock.business_date(),
        )
        if out is None:
            return None  # nothing changed: the view answers
        # from here on a transfer is booked: whatever happens is answered here, never
        # handed on (the view would book it again)
        assert out.ok and out.transfer is not None
        transfer = TransferOut.model_validate(api.transfer_out(out.transfer))
        data: dict[str, Any] = transfer.model_dump()
        return root.create_response(request, data, status=STATUS)
    except Exception as exc:  # as django-ninja answers a view's exception
        return root.on_exception(request, exc)
