"""Inboxes: pending for me, done by me, initiated by me, CC'd to me."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters as filters
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from custodesk.core import access
from custodesk.core.errors import NotFound, ValidationFailed
from custodesk.identity.models import RoleGrant, User

from . import permissions as perms
from . import registry
from .models import (
    DEFAULT_ACTION,
    ApprovalFlow,
    ApprovalRequest,
    RequestAction,
    RequestAssignee,
    RequestLevel,
)
from .policy import can_view, could_approve, is_eligible, resolve_policy

BOXES = ("pending", "done", "initiated", "cc", "all")


class RequestFilter(filters.FilterSet):
    action_type = filters.CharFilter(field_name="action_type")
    status = filters.ChoiceFilter(choices=ApprovalRequest.Status.choices)
    initiator = filters.CharFilter(field_name="initiator__username", lookup_expr="iexact")
    q = filters.CharFilter(field_name="summary", lookup_expr="icontains")
    date_from = filters.DateFilter(field_name="created_at", lookup_expr="date__gte")
    date_to = filters.DateFilter(field_name="created_at", lookup_expr="date__lte")

    class Meta:
        model = ApprovalRequest
        fields = ["status"]


def _my_roles(user: User) -> QuerySet[RoleGrant, Any]:
    return RoleGrant.objects.filter(user=user, revoked_at__isnull=True).values("role_id")


def pending_for(user: User, *, now: dt.datetime) -> QuerySet[ApprovalRequest]:
    """Requests this user can decide now."""
    here = RequestAssignee.objects.filter(request=OuterRef("pk"), level=OuterRef("current_level"))
    return (
        ApprovalRequest.objects.filter(
            organisation_id=user.organisation_id,
            status=ApprovalRequest.Status.PENDING,
            expires_at__gt=now,
        )
        .filter(
            Exists(here.filter(user=user, excluded=False))
            | Exists(here.filter(role_id__in=_my_roles(user)))
        )
        .exclude(Exists(here.filter(user=user, excluded=True)))
        .exclude(
            Exists(
                RequestAction.objects.filter(
                    request=OuterRef("pk"), kind=RequestAction.Kind.APPROVE, actor=user
                )
            )
        )
        .exclude(
            Q(initiator=user)
            & Exists(
                RequestLevel.objects.filter(
                    request=OuterRef("pk"),
                    position=OuterRef("current_level"),
                    forbid_initiator=True,
                )
            )
        )
    )


def pending_count(user: User, *, now: dt.datetime) -> int:
    return pending_for(user, now=now).count()


def inbox(
    *, actor: User, box: str, filters: dict[str, Any] | None = None, now: dt.datetime
) -> QuerySet[ApprovalRequest]:
    if box == "pending":
        qs = pending_for(actor, now=now)
    elif box == "done":
        qs = ApprovalRequest.objects.filter(
            Exists(
                RequestAction.objects.filter(
                    request=OuterRef("pk"),
                    actor=actor,
                    kind__in=[
                        RequestAction.Kind.APPROVE,
                        RequestAction.Kind.REJECT,
                        RequestAction.Kind.TRANSFER,
                    ],
                )
            )
        )
    elif box == "initiated":
        qs = ApprovalRequest.objects.filter(initiator=actor)
    elif box == "cc":
        qs = ApprovalRequest.objects.filter(
            Exists(
                RequestAction.objects.filter(
                    request=OuterRef("pk"), target=actor, kind=RequestAction.Kind.CC
                )
            )
        )
    elif box == "all":
        access.require(actor, perms.REQUEST_VIEW_ALL)
        qs = ApprovalRequest.objects.filter(organisation_id=actor.organisation_id)
    else:
        raise ValidationFailed.single("box", "choice", f"One of {', '.join(BOXES)}")
    qs = qs.select_related("initiator", "organisation")
    return RequestFilter(filters or {}, queryset=qs).qs.order_by("-created_at", "-id")


def request_detail(*, actor: User, public_id: Any) -> ApprovalRequest:
    req = (
        ApprovalRequest.objects.select_related("initiator", "organisation")
        .filter(public_id=public_id)
        .first()
    )
    if req is None or not can_view(actor, req):
        raise NotFound(object="approval_request")
    return req


def history(req: ApprovalRequest) -> QuerySet[RequestAction]:
    return req.actions.select_related("actor", "target").order_by("at", "id")


def levels_with_approvers(req: ApprovalRequest) -> list[dict[str, Any]]:
    out = []
    approvals = {
        (a.level, a.actor.username)
        for a in req.actions.filter(kind=RequestAction.Kind.APPROVE).select_related("actor")
        if a.actor is not None
    }
    for level in req.levels.order_by("position"):
        rows = req.assignees.filter(level=level.position).select_related("user", "role")
        out.append(
            {
                "position": level.position,
                "name": level.name,
                "required_approvals": level.required_approvals,
                "forbid_initiator": level.forbid_initiator,
                "approvers": sorted(
                    [f"user:{r.user.username}" for r in rows if r.user and not r.excluded]
                    + [f"role:{r.role.code}" for r in rows if r.role]
                ),
                "excluded": sorted(r.user.username for r in rows if r.user and r.excluded),
                "approved_by": sorted(u for lv, u in approvals if lv == level.position),
                "current": req.status == "pending" and req.current_level == level.position,
            }
        )
    return out


def allowed_actions(actor: User, req: ApprovalRequest, *, now: dt.datetime) -> dict[str, bool]:
    """What the console may offer this user on this request."""
    pending = req.status == ApprovalRequest.Status.PENDING and req.expires_at > now
    decide = False
    if pending:
        level = req.levels.filter(position=req.current_level).first()
        initiator_blocked = (
            level is not None and level.forbid_initiator and (req.initiator_id == actor.pk)
        )
        already = req.actions.filter(kind=RequestAction.Kind.APPROVE, actor=actor).exists()
        decide = (
            not initiator_blocked and not already and is_eligible(actor, req, req.current_level)
        )
    return {
        "approve": decide,
        "reject": decide,
        "transfer": decide,
        "cc": pending,
        "withdraw": pending and req.initiator_id == actor.pk,
    }


def flows(*, actor: User) -> list[dict[str, Any]]:
    """The default flow ("*") and every registered action type, with what applies to the
    actor's organisation (its own flow, the global one, or the action's default)."""
    access.require(actor, perms.FLOW_MANAGE)
    org = actor.organisation
    out = []
    entries: list[tuple[str, str, Any]] = [(DEFAULT_ACTION, _("Default flow"), None)]
    entries += [(a.code, str(a.label), a) for a in registry.all_types()]
    for code, label, action in entries:
        own = ApprovalFlow.objects.filter(organisation=org, action_type=code).first()
        glob = ApprovalFlow.objects.filter(organisation__isnull=True, action_type=code).first()
        flow = own or glob
        if action is not None:
            policy = resolve_policy(action, org, None)
            auto, levels, source = policy.auto, len(policy.levels), policy.source
        else:
            auto = flow is not None and flow.mode == ApprovalFlow.Mode.AUTO
            levels = flow.levels.count() if flow else 1
            source = f"flow:{flow.public_id}" if flow else "fallback"
        out.append(
            {
                "action_type": code,
                "label": label,
                "flow": flow,
                "scope": "organisation" if own else ("global" if glob else "default"),
                "auto": auto,
                "level_count": levels,
                "source": source,
            }
        )
    return out


def flow_get(*, actor: User, action_type: str) -> ApprovalFlow | None:

    access.require(actor, perms.FLOW_MANAGE)
    return (
        ApprovalFlow.objects.filter(
            organisation=actor.organisation, action_type=action_type
        ).first()
        or ApprovalFlow.objects.filter(organisation__isnull=True, action_type=action_type).first()
    )


def approver_candidates(*, actor: User, req: ApprovalRequest) -> list[User]:
    """Who ``actor`` may hand the current level of ``req`` to or copy it to: the active
    users of its organisation who could approve that level (not the actor)."""
    level = RequestLevel.objects.filter(request=req, position=req.current_level).first()
    if level is None or req.status != ApprovalRequest.Status.PENDING:
        return []
    users = User.objects.filter(organisation_id=req.organisation_id, status="active").exclude(
        pk=actor.pk
    )
    return [u for u in users.order_by("username") if could_approve(u, req, level)]
