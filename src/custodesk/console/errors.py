"""Domain errors on the page: field errors next to the field, the rest as a message.

Every refusal for want of a permission (status 403) rendered here or as the 403 page
(:func:`custodesk.console.decorators.console_view`) is kept as a security event.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse

from custodesk.core import clock, modules
from custodesk.core.errors import DomainError, ValidationFailed

# the console request being answered (bound by console_view), for refusals rendered
# on a form, which does not know its request
_request: contextvars.ContextVar[HttpRequest | None] = contextvars.ContextVar(
    "custodesk_console_request", default=None
)


@contextlib.contextmanager
def answering(request: HttpRequest) -> Iterator[None]:
    token = _request.set(request)
    try:
        yield
    finally:
        _request.reset(token)


def refused(request: HttpRequest | None, exc: DomainError) -> None:
    """Hand a 403 to the modules that keep refusals (``core.modules.record_refusal``:
    identity's security events); other errors are not refusals."""
    if exc.status != 403:
        return
    request = request or _request.get()
    modules.record_refusal(
        user=getattr(request, "user", None),
        code=exc.code,
        detail=str(exc.data.get("permission", "")),
        now=clock.now(),
    )


def error_text(exc: DomainError) -> str:
    return str(exc.detail or exc.title)


def to_form(form: forms.Form, exc: DomainError) -> None:
    refused(None, exc)
    if isinstance(exc, ValidationFailed):
        for err in exc.errors:
            if err.field in form.fields:
                form.add_error(err.field, str(err.message))
            else:
                form.add_error(None, f"{err.field}: {err.message}")
        return
    field = exc.data.get("field")
    form.add_error(field if field in form.fields else None, error_text(exc))


def to_messages(request: HttpRequest, exc: DomainError) -> None:
    refused(request, exc)
    if isinstance(exc, ValidationFailed):
        for err in exc.errors:
            messages.error(request, f"{err.field}: {err.message}")
    else:
        messages.error(request, error_text(exc))


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Django's CSRF refusal (``CSRF_FAILURE_VIEW``), kept as a security event too."""
    from django.views.csrf import csrf_failure as django_csrf_failure

    modules.record_refusal(
        user=getattr(request, "user", None), code="csrf_failed", detail=reason, now=clock.now()
    )
    return django_csrf_failure(request, reason=reason)
