"""The branch picker's htmx refresh: public like the directory (registration forms
use it before anyone signs in); reads only."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from . import picker


@require_GET
def branch_picker(request: HttpRequest) -> HttpResponse:
    field = picker.field_name(request.GET.get("field"))
    return render(request, "banks/_branch_picker_fieldset.html", picker.context(field, request.GET))
