"""The one NinjaAPI: /api/v1, OpenAPI at /api/v1/openapi.json, docs at /api/docs.

Errors: every DomainError becomes RFC 9457 problem+json with a stable
``code``; request validation becomes the same shape (422, ``errors`` naming
field and rule); a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` is 413; anything else
is logged and answered with a bare 500.  The OpenAPI document says so: every
operation lists its ``4XX`` answers as ``Problem``.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from custodesk.core import clock, context, modules
from custodesk.core.errors import DomainError

logger = logging.getLogger("custodesk.api")

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details with a stable `code`.",
    "type": "object",
    "required": ["type", "title", "status", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "code": {"type": "string"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "rule", "message"],
                "properties": {
                    "field": {"type": "string"},
                    "rule": {"type": "string"},
                    "message": {"type": "string"},
                },
            },
        },
    },
}


class CustodeskAPI(NinjaAPI):
    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
        refused = {
            "description": "Refused: authentication, permission, validation, state, size",
            "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                operation.setdefault("responses", {}).setdefault("4XX", refused)
        return schema


PROBLEM = "application/problem+json"

api = CustodeskAPI(
    title="Custodesk API",
    version="1",
    description=(
        "Back office for broker account management and bank funds custody. "
        "Authenticate with `POST /api/v1/auth/sign-in`, then send "
        "`Authorization: Bearer <token>`. Errors are RFC 9457 problem+json with a stable "
        "`code`. Amounts are decimal strings with an ISO 4217 currency, never floats."
    ),
    urls_namespace="api",
    docs_url="/docs",
    # Swagger UI from django-ninja's own static files ("ninja" in INSTALLED_APPS), not a
    # CDN: the docs work offline and under the CSP (no inline script in the template).
    # No online validator: it would send the OpenAPI document to validator.swagger.io.
    docs=Swagger(settings={"validatorUrl": None}),
)


def problem_response(body: dict[str, Any], status: int) -> HttpResponse:
    ctx = context.current()
    body.setdefault("instance", f"urn:custodesk:request:{ctx.request_id}")
    return JsonResponse(
        body, status=status, content_type=PROBLEM, json_dumps_params={"ensure_ascii": False}
    )


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    if exc.status == 403:  # every refusal for want of a permission: a security event
        modules.record_refusal(
            user=getattr(request, "user", None),
            code=exc.code,
            detail=str(exc.data.get("permission", "")),
            now=clock.now(),
        )
    response = problem_response(exc.problem(), exc.status)
    for name, value in getattr(exc, "headers", {}).items():
        response[name] = value
    return response


_PREFIXES = {"body", "query", "path", "form", "header", "cookie", "payload", "data", "filters"}


def _field(loc: list[Any]) -> str:
    parts = [str(p) for p in loc]
    while parts and parts[0] in _PREFIXES:
        parts.pop(0)
    return ".".join(parts) or "body"


@api.exception_handler(NinjaValidationError)
def on_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = [
        {
            "field": _field(e.get("loc", [])),
            "rule": e.get("type", "invalid"),
            "message": e.get("msg", ""),
        }
        for e in exc.errors
    ]
    return problem_response(
        {
            "type": "urn:custodesk:problem:validation_failed",
            "title": _("Some fields are not valid."),
            "status": 422,
            "code": "validation_failed",
            "errors": errors,
        },
        422,
    )


@api.exception_handler(RequestDataTooBig)
def on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return problem_response(
        {
            "type": "urn:custodesk:problem:payload_too_large",
            "title": _("The request body is too large."),
            "status": 413,
            "code": "payload_too_large",
            "limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
        },
        413,
    )


@api.exception_handler(AuthenticationError)
def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = problem_response(
        {
            "type": "urn:custodesk:problem:authentication_required",
            "title": _("Sign in first."),
            "status": 401,
            "code": "authentication_required",
        },
        401,
    )
    response["WWW-Authenticate"] = 'Bearer realm="custodesk"'
    return response


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code = {404: "not_found", 405: "method_not_allowed", 429: "throttled"}.get(
        exc.status_code, "http_error"
    )
    return problem_response(
        {
            "type": f"urn:custodesk:problem:{code}",
            "title": str(exc.message),
            "status": exc.status_code,
            "code": code,
        },
        exc.status_code,
    )


@api.exception_handler(Exception)
def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("unhandled error in %s %s", request.method, request.path)
    return problem_response(
        {
            "type": "urn:custodesk:problem:internal_error",
            "title": _("Internal error. It has been logged."),
            "status": 500,
            "code": "internal_error",
        },
        500,
    )


def _mount() -> None:
    """Each installed module's router (``api=`` in its ``module.py``), in its order."""
    for prefix, router in modules.api_routers():
        api.add_router(prefix, router)


_mount()
