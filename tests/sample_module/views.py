from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from custodesk.console.decorators import console_view

from . import notes


@console_view
def page(request: HttpRequest) -> HttpResponse:
    return render(request, "sample_module/page.html", {"notes": notes.notes(actor=request.user)})
