"""Console pages of the batch import (WO-IMPORT) and the batch unfreeze (WO-UNFREEZE).

Upload → the import's page polls its progress (htmx, every second) while the rows are
checked → the preview (counts, the invalid rows with row number, field and reason, a
download of them) → confirm → the page polls the creation → the result.  The template
is downloadable in the three languages, XLSX or CSV."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from custodesk.console.decorators import console_view
from custodesk.console.errors import to_form
from custodesk.core import access, clock
from custodesk.core.errors import DomainError
from custodesk.core.exports import tabular_response
from custodesk.identity.models import User

from . import permissions as perms
from .imports import columns, selectors, services, unfreeze
from .imports import frozen as frozen_targets

LANGUAGE_NAMES = {"en": "English", "zh-hant": "繁體中文", "zh-hans": "简体中文"}


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV or XLSX file"),
        help_text=gettext_lazy("50,000 rows at most; the first row is the template's header."),
    )


@console_view
def import_home(request: HttpRequest) -> HttpResponseBase:
    user = _user(request)
    access.require(user, perms.ORDER_VIEW)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        f = form.cleaned_data["file"]
        try:
            up = services.import_upload(actor=user, name=f.name, content=f.read(), now=clock.now())
        except DomainError as exc:
            to_form(form, exc)
        else:
            if up.repeated:
                messages.info(request, _("This file was imported before: here is that import."))
            return redirect("console:workorders_import", batch_id=up.batch.public_id)
    templates = [
        {"language": lang, "name": name, "formats": columns.FORMATS}
        for lang, name in LANGUAGE_NAMES.items()
    ]
    kinds = [
        {"code": code, "labels": [labels[lang] for lang in columns.LANGUAGES]}
        for code, (_t, labels) in columns.KINDS.items()
    ]
    return render(
        request,
        "workorders/import_home.html",
        {
            "form": form,
            "templates": templates,
            "kinds": kinds,
            "close_kinds": [
                [labels[lang] for lang in columns.LANGUAGES]
                for labels in columns.CLOSE_KINDS.values()
            ],
            "recent": selectors.imports_recent(actor=user),
            "can_create": user.has_permission(perms.ORDER_CREATE),
        },
    )


@console_view
def import_template(request: HttpRequest) -> HttpResponseBase:
    lang = request.GET.get("language", "en")
    fmt = request.GET.get("format", "xlsx")
    if lang not in columns.LANGUAGES or fmt not in columns.FORMATS:
        return HttpResponse(status=404)
    header = selectors.template_headers(actor=_user(request), language=lang)
    return tabular_response(header, [], fmt, f"workorder-import-{lang}", sheet="import")


def _context(request: HttpRequest, batch_id: Any) -> dict[str, Any]:
    user = _user(request)
    b = selectors.import_get(actor=user, batch_id=batch_id)
    status = request.GET.get("status", "invalid" if b["status"] == "validated" else "")
    if status not in selectors.ROW_STATUSES:
        status = ""
    try:
        after = max(0, int(request.GET.get("after", "0")))
    except ValueError:
        after = 0
    rows = (
        selectors.import_rows(actor=user, batch_id=batch_id, status=status, after=after)
        if not b["progress"]["running"]
        else {"items": [], "next_after": None}
    )
    return {
        "b": b,
        "rows": rows,
        "status": status,
        "statuses": [("", _("All"))] + [(s.value, s.label) for s in selectors.ImportRow.Status],
        "can_create": user.has_permission(perms.ORDER_CREATE),
    }


@console_view
def import_detail(request: HttpRequest, batch_id: str) -> HttpResponseBase:
    ctx = _context(request, batch_id)
    if request.method == "POST":
        try:
            services.import_confirm(actor=_user(request), batch_id=batch_id, now=clock.now())
        except DomainError as exc:
            messages.error(request, str(exc.detail or exc.title))
        else:
            messages.success(request, _("Confirmed: the orders are being created."))
        return redirect("console:workorders_import", batch_id=batch_id)
    return render(request, "workorders/import_detail.html", ctx)


@console_view
def import_progress(request: HttpRequest, batch_id: str) -> HttpResponseBase:
    """The progress bar (htmx polls it); once the job is over the page reloads."""
    b = selectors.import_get(actor=_user(request), batch_id=batch_id)
    response = render(request, "workorders/import_progress.html", {"b": b})
    if not b["progress"]["running"] and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"
    return response


@console_view
def import_errors(request: HttpRequest, batch_id: str) -> HttpResponseBase:
    fmt = request.GET.get("format", "xlsx")
    if fmt not in columns.FORMATS:
        fmt = "xlsx"
    b, lines = selectors.import_error_rows(actor=_user(request), batch_id=batch_id)
    name = f"import-errors-{b.file_name.rsplit('.', 1)[0]}"[:80]
    return tabular_response(selectors.report_header(), lines, fmt, name, sheet="errors")


class UnfreezeForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=400, widget=forms.Textarea(attrs={"rows": 2})
    )


@console_view
def unfreeze_page(request: HttpRequest) -> HttpResponseBase:
    """Frozen clients and accounts; tick one or many, give a reason → one unfreeze
    order each (one batch), a result per target.  Posted from the account list's bulk
    bar (``bulk_action=unfreeze``), it shows the ticked accounts — the frozen ones ticked,
    the others named as not frozen — and does nothing until the reason is confirmed."""
    user = _user(request)
    access.require(user, perms.ORDER_VIEW)
    context: dict[str, Any] = {
        "q": request.GET.get("q", "").strip()[:64],
        "results": None,
        "max": unfreeze.MAX_TARGETS,
        "back": reverse("console:workorders_import_home"),
    }
    if request.method == "POST" and request.POST.get("bulk_action") == "unfreeze":
        ticked = request.POST.getlist("accounts")[: unfreeze.MAX_TARGETS]
        targets = frozen_targets.frozen(actor=user, numbers=ticked)
        listed = {t["number"] for t in targets}
        context |= {
            "form": UnfreezeForm(),
            "q": "",
            "targets": targets,
            "preselected": listed,
            "not_frozen": [n for n in ticked if n not in listed],
            "back": reverse("console:brokerage_accounts"),
        }
        return render(request, "workorders/import_unfreeze.html", context)
    form = UnfreezeForm(request.POST or None)
    if request.method == "POST":
        chosen = request.POST.getlist("target")[: unfreeze.MAX_TARGETS + 1]
        if form.is_valid():
            try:
                batch = unfreeze.unfreeze_many(
                    actor=user, targets=chosen, reason=form.cleaned_data["reason"],
                    now=clock.now(),
                )  # fmt: skip
            except DomainError as exc:
                to_form(form, exc)
            else:
                context["results"] = batch.results
                messages.success(
                    request,
                    _("%(ok)s of %(n)s unfreeze orders submitted.")
                    % {"ok": batch.ok_count, "n": len(batch.results)},
                )
    context |= {"form": form, "targets": frozen_targets.frozen(actor=user, q=context["q"])}
    return render(request, "workorders/import_unfreeze.html", context)
