"""Console pages (written below)."""

from django.http import HttpRequest, HttpResponse

from custodesk.console.decorators import console_view


@console_view
def deposit(request: HttpRequest) -> HttpResponse:
    return HttpResponse("")


withdrawal = movements = movement = staff_movements = unknown = limits = deposit
