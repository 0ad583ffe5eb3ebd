"""Console: the approval inbox (four tabs, batch), request detail with decisions, flows."""

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
from django.views.decorators.http import require_POST

from custodesk.console.decorators import console_view
from custodesk.console.errors import to_form, to_messages
from custodesk.console.paging import clean_filters, paginate
from custodesk.core import clock
from custodesk.core.errors import DomainError
from custodesk.core.money import AMOUNT_DIGITS, AMOUNT_PLACES
from custodesk.identity.models import Role, User

from . import exports, flows, presenters, registry, selectors, services
from .models import DEFAULT_ACTION, ApprovalRequest
from .schemas import MAX_EXPIRY_HOURS, MAX_REQUIRED_APPROVALS

BOXES = [
    ("pending", gettext_lazy("Pending for me")),
    ("done", gettext_lazy("Done by me")),
    ("initiated", gettext_lazy("Initiated by me")),
    ("cc", gettext_lazy("CC'd to me")),
]
FILTERS = ["action_type", "status", "initiator", "q", "date_from", "date_to"]


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=gettext_lazy("Comment"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason for rejection"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class TransferForm(forms.Form):
    to_user = forms.ChoiceField(label=gettext_lazy("Transfer to"))
    comment = forms.CharField(label=gettext_lazy("Comment"), required=False, max_length=1000)


class CcForm(forms.Form):
    users = forms.MultipleChoiceField(
        label=gettext_lazy("CC to"), widget=forms.SelectMultiple(attrs={"size": 4})
    )
    comment = forms.CharField(label=gettext_lazy("Comment"), required=False, max_length=1000)


def _colleagues(actor: User, exclude: list[int]) -> list[tuple[str, str]]:
    users = User.objects.filter(organisation_id=actor.organisation_id, status="active").exclude(
        pk__in=exclude
    )
    return [(str(u.public_id), f"{u.full_name} ({u.username})") for u in users.order_by("username")]


def pending_badge(user: Any) -> dict[str, Any] | None:
    count = selectors.pending_count(user, now=clock.now())
    return {
        "key": "approvals",
        "label": _("Approvals"),
        "count": count,
        "url": reverse("console:approvals"),
    }


@console_view
def inbox(request: HttpRequest) -> HttpResponseBase:
    actor: User = request.user  # type: ignore[assignment]
    box = request.GET.get("box", "pending")
    if box not in dict(BOXES):
        box = "pending"
    filters = clean_filters(request, FILTERS)
    qs = selectors.inbox(actor=actor, box=box, filters=filters, now=clock.now())
    fmt = request.GET.get("export")
    if fmt in {"csv", "xlsx"}:
        return exports.response(qs[:50_000], fmt, f"approvals-{box}")
    page, size = paginate(request, qs)
    return render(
        request,
        "approvals/inbox.html",
        {
            "box": box,
            "boxes": BOXES,
            "rows": [presenters.request_row(r) for r in page],
            "page": page,
            "page_size": size,
            "filters": filters,
            "action_types": [(a.code, a.label) for a in registry.all_types()],
            "statuses": ApprovalRequest.Status.choices,
            "batch": box == "pending",
        },
    )


@console_view
@require_POST
def batch(request: HttpRequest) -> HttpResponse:
    actor: User = request.user  # type: ignore[assignment]
    ids = request.POST.getlist("ids")
    decision = request.POST.get("decision", "")
    reason = request.POST.get("reason", "")
    results: list[Any] = []
    error = None
    if not ids:
        error = _("Select at least one request.")
    else:
        try:
            results = services.batch_decide(
                actor=actor, request_ids=ids, decision=decision, reason=reason, now=clock.now()
            )
        except DomainError as exc:
            error = str(exc.detail or exc.title)
            if hasattr(exc, "errors"):
                error = "; ".join(str(e.message) for e in exc.errors)
    summaries = {
        str(r.public_id): r.summary
        for r in ApprovalRequest.objects.filter(public_id__in=[r.request_id for r in results])
    }
    labels = dict(ApprovalRequest.Status.choices)
    rows = [
        {
            **r.__dict__,
            "summary": summaries.get(r.request_id, ""),
            "status_label": labels.get(r.status or "", ""),
        }
        for r in results
    ]
    return render(
        request,
        "approvals/batch_result.html",
        {
            "rows": rows,
            "error": error,
            "decision": decision,
            "ok_count": sum(1 for r in results if r.ok),
        },
    )


def _detail_context(request: HttpRequest, req: ApprovalRequest) -> dict[str, Any]:
    actor: User = request.user  # type: ignore[assignment]
    detail = presenters.request_detail(req, actor, clock.now())
    candidates = [
        (str(u.public_id), f"{u.full_name} ({u.username})")
        for u in selectors.approver_candidates(actor=actor, req=req)
    ]
    transfer = TransferForm()
    transfer.fields["to_user"].choices = candidates  # type: ignore[attr-defined]
    cc = CcForm()
    cc.fields["users"].choices = candidates  # type: ignore[attr-defined]
    return {
        "req": detail,
        "approve_form": CommentForm(),
        "reject_form": RejectForm(),
        "transfer_form": transfer,
        "cc_form": cc,
    }


@console_view
def detail(request: HttpRequest, public_id: str) -> HttpResponse:
    req = selectors.request_detail(actor=request.user, public_id=public_id)  # type: ignore[arg-type]
    template = "approvals/_detail.html" if request.htmx else "approvals/detail.html"  # type: ignore[attr-defined]
    return render(request, template, _detail_context(request, req))


@console_view
@require_POST
def decide(request: HttpRequest, public_id: str, action: str) -> HttpResponse:
    """approve / reject / transfer / cc / withdraw from the detail page or drawer."""
    actor: User = request.user  # type: ignore[assignment]
    now = clock.now()
    post = request.POST
    try:
        if action == "approve":
            d = services.approve(
                actor=actor, request_id=public_id, comment=post.get("comment", ""), now=now
            )
            msg = (
                _("Approved and executed.")
                if d.executed
                else _("Approved; waiting for the next level.")
            )
        elif action == "reject":
            services.reject(
                actor=actor, request_id=public_id, reason=post.get("reason", ""), now=now
            )
            msg = _("Rejected.")
        elif action == "transfer":
            services.transfer(
                actor=actor,
                request_id=public_id,
                to_user_id=post.get("to_user", ""),
                comment=post.get("comment", ""),
                now=now,
            )
            msg = _("Transferred.")
        elif action == "cc":
            services.cc(
                actor=actor,
                request_id=public_id,
                user_ids=post.getlist("users"),
                comment=post.get("comment", ""),
                now=now,
            )
            msg = _("Copied.")
        elif action == "withdraw":
            services.withdraw(
                actor=actor, request_id=public_id, reason=post.get("comment", ""), now=now
            )
            msg = _("Withdrawn.")
        else:
            return redirect("console:approval_detail", public_id=public_id)
    except DomainError as exc:
        to_messages(request, exc)
    else:
        messages.success(request, msg)
    return redirect("console:approval_detail", public_id=public_id)


# -- flows ---------------------------------------------------------------------
@console_view
def flow_list(request: HttpRequest) -> HttpResponse:
    rows = [presenters.flow_row(e) for e in selectors.flows(actor=request.user)]  # type: ignore[arg-type]
    return render(request, "approvals/flow_list.html", {"rows": rows})


class FlowForm(forms.Form):
    mode = forms.ChoiceField(
        label=gettext_lazy("Mode"),
        choices=[
            ("review", gettext_lazy("Review")),
            ("auto", gettext_lazy("No review (applied at once)")),
        ],
    )
    expiry_hours = forms.IntegerField(
        label=gettext_lazy("Expires after (hours)"),
        min_value=1,
        max_value=MAX_EXPIRY_HOURS,
        initial=72,
    )


class LevelForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Level name"), required=False, max_length=100)
    role_codes = forms.MultipleChoiceField(
        label=gettext_lazy("Approver roles"), required=False, widget=forms.CheckboxSelectMultiple
    )
    user_ids = forms.MultipleChoiceField(
        label=gettext_lazy("Approver users"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )
    required_approvals = forms.IntegerField(
        label=gettext_lazy("Approvals needed"),
        min_value=1,
        max_value=MAX_REQUIRED_APPROVALS,
        initial=1,
    )
    forbid_initiator = forms.BooleanField(
        label=gettext_lazy("Approver must not be the initiator"), required=False, initial=True
    )
    min_amount = forms.DecimalField(
        label=gettext_lazy("Only from amount (inclusive)"),
        required=False,
        min_value=0,
        max_digits=AMOUNT_DIGITS,
        decimal_places=AMOUNT_PLACES,
    )
    currency = forms.ChoiceField(
        label=gettext_lazy("Currency"),
        required=False,
        choices=[("", "—"), ("HKD", "HKD"), ("CNY", "CNY"), ("USD", "USD")],
    )


def _level_filled(data: dict[str, Any]) -> bool:
    """A level row counts when it names something; blank extra rows are ignored."""
    return bool(
        data
        and (
            data.get("name")
            or data.get("role_codes")
            or data.get("user_ids")
            or data.get("min_amount") is not None
        )
    )


LevelFormSet = forms.formset_factory(LevelForm, extra=1, can_delete=True, max_num=6)


@console_view
def flow_edit(request: HttpRequest, action_type: str) -> HttpResponse:
    actor: User = request.user  # type: ignore[assignment]
    entry = next((e for e in selectors.flows(actor=actor) if e["action_type"] == action_type), None)
    if entry is None:
        from django.http import Http404

        raise Http404
    row = presenters.flow_row(entry)
    roles = [(r.code, r.name) for r in Role.objects.filter(organisation=actor.organisation)]
    users = _colleagues(actor, [])
    initial_levels = [
        {
            "name": lv["name"],
            "role_codes": lv["role_codes"],
            "user_ids": [str(u.public_id) for u in User.objects.filter(username__in=lv["users"])],
            "required_approvals": lv["required_approvals"],
            "forbid_initiator": lv["forbid_initiator"],
            "min_amount": lv["min_amount"],
            "currency": lv["currency"],
        }
        for lv in row["levels_config"]
    ]
    form = FlowForm(
        request.POST or None,
        initial={"mode": row["mode"] or "review", "expiry_hours": row["expiry_hours"] or 72},
    )
    formset = LevelFormSet(request.POST or None, initial=initial_levels, prefix="levels")
    for f in formset.forms:
        f.fields["role_codes"].choices = roles  # type: ignore[attr-defined]
        f.fields["user_ids"].choices = users  # type: ignore[attr-defined]
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        levels = [
            flows.LevelInput(
                name=f.cleaned_data.get("name", ""),
                required_approvals=f.cleaned_data.get("required_approvals") or 1,
                forbid_initiator=f.cleaned_data.get("forbid_initiator", False),
                min_amount=str(f.cleaned_data["min_amount"])
                if f.cleaned_data.get("min_amount") is not None
                else None,
                currency=f.cleaned_data.get("currency", ""),
                user_ids=f.cleaned_data.get("user_ids", []),
                role_codes=f.cleaned_data.get("role_codes", []),
            )
            for f in formset.forms
            if _level_filled(f.cleaned_data) and not f.cleaned_data.get("DELETE")
        ]
        try:
            sub = services.submit(
                actor=actor,
                action_type=flows.FLOW_CONFIGURE,
                payload=flows.flow_change_payload(
                    action_type=action_type,
                    mode=form.cleaned_data["mode"],
                    expiry_hours=form.cleaned_data["expiry_hours"],
                    levels=levels,
                ),
                now=clock.now(),
            )
        except DomainError as exc:
            to_form(form, exc)
        else:
            if sub.executed:
                messages.success(request, _("The approval flow has been saved."))
            else:
                messages.info(
                    request,
                    _("The change to the approval flow waits for a second administrator."),
                )
            return redirect("console:approval_flows")
    return render(
        request,
        "approvals/flow_edit.html",
        {"row": row, "form": form, "formset": formset, "is_default": action_type == DEFAULT_ACTION},
    )
