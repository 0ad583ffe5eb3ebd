from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render

from custodesk.console.decorators import console_view
from custodesk.console.paging import clean_filters, paginate
from custodesk.core import access

from . import exports, selectors
from . import permissions as perms

AUDIT_FILTERS = [
    "action",
    "actor",
    "object_type",
    "object_id",
    "approval_request_id",
    "ip",
    "date_from",
    "date_to",
]


@console_view
def audit_list(request: HttpRequest) -> HttpResponseBase:
    actor: access.Principal = request.user  # type: ignore[assignment]
    filters = clean_filters(request, AUDIT_FILTERS)
    entries = selectors.audit_list(actor=actor, filters=filters)
    fmt = request.GET.get("export")
    if fmt in {"csv", "xlsx"}:
        access.require(actor, perms.EXPORT)
        return exports.response(entries[:100_000].iterator(), fmt)
    page, size = paginate(request, entries)
    return render(
        request,
        "audit/audit_list.html",
        {
            "page": page,
            "page_size": size,
            "filters": filters,
            "can_export": actor.has_permission(perms.EXPORT),
        },
    )


@console_view
def audit_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    entry = selectors.audit_get(actor=request.user, public_id=public_id)  # type: ignore[arg-type]
    template = "audit/_detail.html" if request.htmx else "audit/audit_detail.html"  # type: ignore[attr-defined]
    return render(request, template, {"entry": entry})
