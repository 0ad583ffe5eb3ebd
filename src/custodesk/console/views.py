from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from custodesk.core import clock

from .decorators import console_view


@console_view
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "console/home.html", {"now": clock.now()})
