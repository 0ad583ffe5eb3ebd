"""The work-order centre's console: the centre (tabs per kind and per status with
counts, filters, batch approve / reject), a new order (from the centre or an account's
row menu), an order's detail with its history, messages and decisions, and a client's
message records."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from custodesk.brokerage.models import Account
from custodesk.console.decorators import console_view
from custodesk.console.errors import to_form, to_messages
from custodesk.console.paging import clean_filters, paginate
from custodesk.core import clock
from custodesk.core.errors import DomainError, NotFound, ValidationFailed
from custodesk.identity.models import User

from . import kinds as K
from . import presenters, selectors, services
from .models import MAX_ATTACHMENT_BYTES, WorkOrder

FILTERS = ["kind", "status", "target", "creator", "date_from", "date_to"]


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _filter(values: dict[str, str]) -> selectors.OrderFilter:
    f = selectors.OrderFilter(
        kind=values.get("kind", ""),
        status=values.get("status", ""),
        target=values.get("target", "")[:16],
        creator=values.get("creator", "")[:150],
    )
    for name in ("date_from", "date_to"):
        try:
            setattr(f, name, forms.DateField().clean(values.get(name) or None))
        except forms.ValidationError:
            values.pop(name, None)
    return f


@console_view
def centre(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    values = clean_filters(request, FILTERS)
    f = _filter(values)
    page, size = paginate(request, selectors.order_queryset(actor=actor, filters=f))
    counts = selectors.counts(actor=actor, filters=f)
    return render(
        request,
        "workorders/centre.html",
        {
            "rows": [presenters.order_row(o) for o in page],
            "page": page,
            "page_size": size,
            "filters": values,
            "kind_tabs": [(k.code, k.label, counts["kind"][k.code]) for k in K.all_kinds()],
            "status_tabs": [
                (v, label, counts["status"][v]) for v, label in WorkOrder.Status.choices
            ],
            "all_count": sum(counts["kind"].values()),
            "kinds": [(k.code, k.label) for k in K.all_kinds()],
        },
    )


# -- new order ---------------------------------------------------------------------
class OrderForm(forms.Form):
    client_no = forms.CharField(label=gettext_lazy("Client number"), max_length=16, required=False)
    account_numbers = forms.CharField(
        label=gettext_lazy("Account number(s)"),
        max_length=1000,
        required=False,
        help_text=gettext_lazy("Separated by commas or spaces."),
    )
    reason = forms.CharField(
        label=gettext_lazy("Remark"),
        max_length=400,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    attachment = forms.FileField(
        label=gettext_lazy("Attachment"),
        required=False,
        help_text=gettext_lazy("PDF, image, text, CSV, XLSX or DOCX; 5 MB at most."),
    )

    def __init__(self, kind: K.Kind, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        if kind.target == K.ACCOUNTS:
            del self.fields["client_no"]
            self.fields["account_numbers"].required = True
        else:
            del self.fields["account_numbers"]
            self.fields["client_no"].required = True
        self.fields["reason"].required = kind.reason_required and not kind.data_change
        if kind.data_change:
            self.fields["reason"].help_text = _("Give a remark or attach a file.")
        for f in kind.fields:
            self.fields[f"f_{f.name}"] = _form_field(f)


def _form_field(f: K.FormField) -> forms.Field:
    label = str(f.label)
    if f.type == "bool":
        return forms.BooleanField(label=label, required=False, initial=bool(f.default))
    if f.type == "choice":
        return forms.ChoiceField(label=label, required=f.required, choices=[("", "—"), *f.choices])
    return forms.CharField(label=label, required=f.required, max_length=f.max_length * 4)


def _create(request: HttpRequest, form: OrderForm) -> WorkOrder:
    d = form.cleaned_data
    uploads = []
    upload = d.get("attachment")
    if upload is not None:
        if upload.size > MAX_ATTACHMENT_BYTES:
            raise ValidationFailed.single("attachment", "max_size", _("5 MB at most per file."))
        uploads.append(services.Upload(upload.name, upload.content_type or "", upload.read()))
    numbers = (d.get("account_numbers") or "").replace(",", " ").split()
    fields = {f.name: d.get(f"f_{f.name}") for f in form.kind.fields}
    return services.order_create(
        actor=_user(request),
        kind=form.kind.code,
        client_no=d.get("client_no") or "",
        account_numbers=numbers,
        reason=d.get("reason") or "",
        fields=fields,
        attachments=uploads,
        now=clock.now(),
    )


def _field_name(path: str) -> str:
    if path.startswith("fields."):
        return "f_" + path.split(".")[1]
    if path.startswith("attachments"):
        return "attachment"
    return path.split(".")[0]


@console_view
def order_new(request: HttpRequest) -> HttpResponse:
    """Choose a kind, then its form; ``?account=`` / ``?client=`` prefill the target
    (the account list's row menu links here)."""
    kind = K.get(request.GET.get("kind", ""))
    if kind is None:
        return render(
            request,
            "workorders/choose_kind.html",
            {
                "kinds": K.all_kinds(),
                "account": request.GET.get("account", "")[:16],
                "client": request.GET.get("client", "")[:16],
            },
        )
    account = request.GET.get("account", "")[:16]
    client_no = request.GET.get("client", "")[:16]
    if kind.target == K.CLIENT and account and not client_no:
        a = Account.objects.select_related("client").filter(number=account).first()
        client_no = a.client.client_no if a else ""
    initial = {"client_no": client_no, "account_numbers": account}
    form = OrderForm(kind, request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            order = _create(request, form)
        except ValidationFailed as exc:
            for e in exc.errors:
                name = _field_name(e.field)
                form.add_error(name if name in form.fields else None, str(e.message))
        except DomainError as exc:
            to_form(form, exc)
        else:
            messages.success(
                request, _("Work order %(number)s was created.") % {"number": order.number}
            )
            return redirect("console:workorders_detail", order_id=order.public_id)
    return render(request, "workorders/new.html", {"form": form, "kind": kind})


# -- detail and decisions ----------------------------------------------------------
@console_view
def order_detail(request: HttpRequest, order_id: str) -> HttpResponse:
    actor = _user(request)
    order = selectors.order_get(actor=actor, order_id=order_id)
    detail = presenters.order_detail(order, now=clock.now())
    return render(
        request,
        "workorders/detail.html",
        {
            "o": detail,
            "can_decide": order.status == WorkOrder.Status.SUBMITTED
            and order.creator_id != actor.pk,
            "can_cancel": order.status in (WorkOrder.Status.DRAFT, WorkOrder.Status.SUBMITTED)
            and order.creator_id == actor.pk,
            "can_submit": order.status == WorkOrder.Status.DRAFT and order.creator_id == actor.pk,
        },
    )


ACTIONS = {
    "approve": lambda actor, oid, text, now: services.order_approve(
        actor=actor, order_id=oid, comment=text, now=now
    ),
    "reject": lambda actor, oid, text, now: services.order_reject(
        actor=actor, order_id=oid, reason=text, now=now
    ),
    "cancel": lambda actor, oid, text, now: services.order_cancel(
        actor=actor, order_id=oid, reason=text, now=now
    ),
    "submit": lambda actor, oid, text, now: services.order_submit(
        actor=actor, order_id=oid, now=now
    ),
}


@console_view
@require_POST
def order_action(request: HttpRequest, order_id: str, action: str) -> HttpResponse:
    run = ACTIONS.get(action)
    if run is None:
        raise NotFound(object="action")
    order = selectors.order_get(actor=_user(request), order_id=order_id)
    try:
        order = run(
            _user(request), order.public_id, request.POST.get("text", "")[:400], clock.now()
        )
    except DomainError as exc:
        to_messages(request, exc)
    else:
        messages.success(
            request,
            _("Work order %(number)s: %(status)s.")
            % {"number": order.number, "status": order.get_status_display()},
        )
    return redirect("console:workorders_detail", order_id=order.public_id)


@console_view
@require_POST
def batch(request: HttpRequest) -> HttpResponse:
    ids = request.POST.getlist("ids")[:500]
    error, rows = None, []
    if not ids:
        error = _("Select at least one work order.")
    else:
        try:
            results = services.batch_decide(
                actor=_user(request),
                order_ids=ids,
                decision=request.POST.get("decision", ""),
                reason=request.POST.get("reason", "")[:400],
                now=clock.now(),
            )
        except ValidationFailed as exc:
            error = "; ".join(str(e.message) for e in exc.errors)
        except DomainError as exc:
            error = str(exc.detail or exc.title)
        else:
            labels = dict(WorkOrder.Status.choices)
            rows = [{**r.__dict__, "status_label": labels.get(r.status, "")} for r in results]
    return render(
        request,
        "workorders/batch_result.html",
        {"rows": rows, "error": error, "ok_count": sum(1 for r in rows if r["ok"])},
    )


@console_view
def attachment(request: HttpRequest, order_id: str, attachment_id: str) -> HttpResponse:
    a = selectors.attachment_get(
        actor=_user(request), order_id=order_id, attachment_id=attachment_id
    )
    response = HttpResponse(bytes(a.content), content_type="application/octet-stream")
    response["Content-Disposition"] = "attachment"
    response["X-Content-SHA256"] = a.sha256
    return response


@console_view
def client_messages(request: HttpRequest, client_no: str) -> HttpResponse:
    """The client's message records (消息記錄): never a secret."""
    client = selectors.client_by_number(client_no)
    if client is None:
        raise NotFound(object="client")
    rows = selectors.client_messages(actor=_user(request), client=client, now=clock.now())
    return render(request, "workorders/client_messages.html", {"client": client, "rows": rows})
