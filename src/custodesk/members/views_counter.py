"""The bank counter's review of enterprise applications (staff console pages)."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from custodesk.console.decorators import console_view
from custodesk.console.errors import to_form, to_messages
from custodesk.console.paging import clean_filters, paginate
from custodesk.core import clock
from custodesk.core.errors import DomainError

from . import permissions as perms
from . import selectors, services, uploads
from .forms import RejectForm
from .models import EnterpriseApplication, MemberType


@console_view
def application_list(request: HttpRequest) -> HttpResponse:
    filters = clean_filters(request, ["status"])
    if filters.get("status") not in EnterpriseApplication.Status.values:
        filters.pop("status", None)
    rows = selectors.applications(actor=request.user, status=filters.get("status"))
    page, size = paginate(request, rows)
    return render(
        request,
        "members/application_list.html",
        {
            "page": page,
            "page_size": size,
            "filters": filters,
            "statuses": EnterpriseApplication.Status.choices,
        },
    )


@console_view
def application_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    app = selectors.application_get(actor=request.user, public_id=public_id)
    form = RejectForm(request.POST or None)
    if request.method == "POST" and request.POST.get("action") == "reject" and form.is_valid():
        try:
            services.application_reject(
                actor=request.user,  # type: ignore[arg-type]
                application_id=app.public_id,
                reason=form.cleaned_data["reason"],
                now=clock.now(),
            )
        except DomainError as exc:
            to_form(form, exc)
        else:
            messages.success(request, _("Rejected. The applicant is told the reason."))
            return redirect("console:member_application", public_id=app.public_id)
    return render(
        request,
        "members/application_detail.html",
        {
            "app": app,
            "form": form,
            "can_review": request.user.has_permission(perms.APPLICATION_REVIEW),  # type: ignore[union-attr]
        },
    )


@console_view
@require_POST
def application_approve(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    try:
        services.application_approve(
            actor=request.user,  # type: ignore[arg-type]
            application_id=public_id,
            now=clock.now(),
        )
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        to_messages(request, exc)
    else:
        messages.success(
            request,
            _("Approved. The login name and temporary password go to the applicant by SMS."),
        )
    return redirect("console:member_application", public_id=public_id)


@console_view
def application_archive(request: HttpRequest, public_id: uuid.UUID) -> HttpResponseBase:
    app = selectors.application_get(actor=request.user, public_id=public_id)
    try:
        handle = uploads.absolute(app.archive_path).open("rb")
    except OSError:
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=uploads.download_name(app.archive_name, app.archive_kind),
        content_type=uploads.CONTENT_TYPES[app.archive_kind],
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@console_view
def member_list(request: HttpRequest) -> HttpResponse:
    filters = clean_filters(request, ["member_type", "q"])
    if filters.get("member_type") not in MemberType.values:
        filters.pop("member_type", None)
    rows = selectors.members(
        actor=request.user, member_type=filters.get("member_type"), q=filters.get("q", "")[:60]
    )
    page, size = paginate(request, rows)
    return render(
        request,
        "members/member_list.html",
        {"page": page, "page_size": size, "filters": filters, "types": MemberType.choices},
    )
