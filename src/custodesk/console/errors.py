"""Domain errors on the page: field errors next to the field, the rest as a message."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest

from custodesk.core.errors import DomainError, ValidationFailed


def error_text(exc: DomainError) -> str:
    return str(exc.detail or exc.title)


def to_form(form: forms.Form, exc: DomainError) -> None:
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
    if isinstance(exc, ValidationFailed):
        for err in exc.errors:
            messages.error(request, f"{err.field}: {err.message}")
    else:
        messages.error(request, error_text(exc))
