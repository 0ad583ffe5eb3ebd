"""Which review an action gets, and who may decide it.

``resolve_policy`` turns the flows (organisation, global, the action's default, the
default flow, the administrators) into the levels a request is given at submission;
``is_eligible`` / ``could_approve`` / ``can_view`` answer who may decide, be handed, or
see a request.  Reads only: the engine's writes are in ``services.py``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.db.models import Q

from custodesk.core.money import Money
from custodesk.identity.models import Organisation, Role, RoleGrant, User

from . import permissions as perms
from . import registry
from .flows import DEFAULT_EXPIRY_HOURS
from .models import (
    DEFAULT_ACTION,
    ApprovalFlow,
    ApprovalRequest,
    FlowLevel,
    RequestAction,
    RequestAssignee,
    RequestLevel,
)

FALLBACK_ROLE = "admin"  # "no approver configured → the administrators" (broker manual B2)


# -- flow resolution -------------------------------------------------------------
@dataclass
class LevelSpec:
    name: str
    required_approvals: int
    forbid_initiator: bool
    user_ids: list[int]
    role_ids: list[int]


@dataclass
class Policy:
    auto: bool
    expiry_hours: int
    levels: list[LevelSpec]
    source: str  # "flow:<id>", "action-default", "fallback"


def _roles_by_code(org: Organisation, codes: list[str] | tuple[str, ...]) -> list[int]:
    return list(Role.objects.filter(organisation=org, code__in=codes).values_list("pk", flat=True))


def _level_applies(level: FlowLevel, amount: Money | None) -> bool:
    """Amount tiers: a level with a threshold applies at or above it.

    A request without an amount skips threshold levels; an amount in another
    currency than the threshold's takes the level (the stricter reading).
    """
    if level.min_amount is None:
        return True
    if amount is None:
        return False
    if level.amount_currency and level.amount_currency != amount.currency:
        return True
    return amount.minor >= level.min_amount


def _flow_for(org: Organisation, action_type: str) -> ApprovalFlow | None:
    return (
        ApprovalFlow.objects.filter(organisation=org, action_type=action_type).first()
        or ApprovalFlow.objects.filter(organisation__isnull=True, action_type=action_type).first()
    )


def _policy_from_flow(flow: ApprovalFlow, org: Organisation, amount: Money | None) -> Policy:
    if flow.mode == ApprovalFlow.Mode.AUTO:
        return Policy(True, flow.expiry_hours, [], f"flow:{flow.public_id}")
    specs = []
    for level in flow.levels.prefetch_related("approver_users").order_by("position"):
        if not _level_applies(level, amount):
            continue
        users = [u.pk for u in level.approver_users.all() if u.organisation_id == org.pk]
        roles = _roles_by_code(org, level.approver_role_codes or [])
        if not users and not roles:
            roles = _roles_by_code(org, [FALLBACK_ROLE])
        specs.append(
            LevelSpec(level.name, level.required_approvals, level.forbid_initiator, users, roles)
        )
    if not specs:
        specs = [LevelSpec("", 1, True, [], _roles_by_code(org, [FALLBACK_ROLE]))]
    return Policy(False, flow.expiry_hours, specs, f"flow:{flow.public_id}")


_memo: ContextVar[dict[tuple[object, ...], Policy] | None] = ContextVar(
    "approvals_policy_memo", default=None
)


@contextmanager
def memoised() -> Iterator[None]:
    """Resolve each (action, organisation, amount) once in the block — for a caller that
    submits many requests in one transaction (the work-order import's chunks), where the
    flows read at its start are the ones that apply to all of them."""
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def resolve_policy(action: registry.ActionType, org: Organisation, amount: Money | None) -> Policy:
    memo = _memo.get()
    if memo is None:
        return _resolve_policy(action, org, amount)
    key = (action.code, org.pk, org.dual_admin, amount)
    if key not in memo:
        memo[key] = _resolve_policy(action, org, amount)
    return copy.deepcopy(memo[key])


def _resolve_policy(action: registry.ActionType, org: Organisation, amount: Money | None) -> Policy:
    """Flow of the organisation → global flow → the action's own default → default flow
    ("*", organisation then global) → one level of the organisation's administrators.

    A governance action in a dual-admin organisation keeps its second pair of eyes
    whatever a flow says: never automatic, and no level lets the initiator approve.
    """
    policy = _resolve(action, org, amount)
    if not (action.governance and org.dual_admin):
        return policy
    if policy.auto or not policy.levels:
        admins = _roles_by_code(org, [FALLBACK_ROLE])
        return Policy(
            False,
            policy.expiry_hours,
            [LevelSpec("second administrator", 1, True, [], admins)],
            policy.source + "+dual-control",
        )
    for level in policy.levels:
        level.forbid_initiator = True
    return policy


def _resolve(action: registry.ActionType, org: Organisation, amount: Money | None) -> Policy:
    flow = _flow_for(org, action.code)
    if flow is not None:
        return _policy_from_flow(flow, org, amount)
    defaults = action.default_levels(org)
    if defaults is not None:
        if not defaults:
            return Policy(True, DEFAULT_EXPIRY_HOURS, [], "action-default")
        return Policy(
            False,
            DEFAULT_EXPIRY_HOURS,
            [
                LevelSpec(
                    d.name,
                    d.required_approvals,
                    d.forbid_initiator,
                    [],
                    _roles_by_code(org, d.role_codes) or _roles_by_code(org, [FALLBACK_ROLE]),
                )
                for d in defaults
            ],
            "action-default",
        )
    default_flow = _flow_for(org, DEFAULT_ACTION)
    if default_flow is not None:
        return _policy_from_flow(default_flow, org, amount)
    return Policy(
        False,
        DEFAULT_EXPIRY_HOURS,
        [LevelSpec("", 1, True, [], _roles_by_code(org, [FALLBACK_ROLE]))],
        "fallback",
    )


# -- who may decide ---------------------------------------------------------------
def _active_role_ids(user: User) -> list[int]:
    return list(
        RoleGrant.objects.filter(user=user, revoked_at__isnull=True).values_list(
            "role_id", flat=True
        )
    )


def _holds_approve_permission(user: User, req: ApprovalRequest) -> bool:
    action = registry.find(req.action_type)
    needed = action.approve_permission if action else None
    return needed is None or user.has_permission(needed)


def is_eligible(user: User, req: ApprovalRequest, level: int) -> bool:
    """May ``user`` decide ``req`` at ``level`` (ignoring the initiator rule)?

    An approver must also hold the action's approver permission at decision time (a
    governance action: the permission to make the change oneself).
    """
    if user.status != User.Status.ACTIVE or user.organisation_id != req.organisation_id:
        return False
    if not _holds_approve_permission(user, req):
        return False
    rows = RequestAssignee.objects.filter(request=req, level=level)
    if rows.filter(user=user, excluded=True).exists():
        return False
    return rows.filter(
        Q(user=user, excluded=False) | Q(role_id__in=_active_role_ids(user))
    ).exists()


def could_approve(user: User, req: ApprovalRequest, level: RequestLevel) -> bool:
    """Could ``user`` approve ``level`` of ``req``: the test for a transfer or CC target.

    Active, of the request's organisation, holding the approver permission, not the
    initiator where the level forbids it, and named for the level (as a user, including
    one who handed it on earlier, or through a role held now).
    """
    if user.status != User.Status.ACTIVE or user.organisation_id != req.organisation_id:
        return False
    if level.forbid_initiator and user.pk == req.initiator_id:
        return False
    if not _holds_approve_permission(user, req):
        return False
    return (
        RequestAssignee.objects.filter(request=req, level=level.position)
        .filter(Q(user=user) | Q(role_id__in=_active_role_ids(user)))
        .exists()
    )


def can_view(user: User, req: ApprovalRequest) -> bool:
    if not user.sees_organisation(req.organisation_id):
        return False
    if req.initiator_id == user.pk or user.has_permission(perms.REQUEST_VIEW_ALL):
        return True
    if RequestAction.objects.filter(request=req).filter(Q(actor=user) | Q(target=user)).exists():
        return True
    return (
        RequestAssignee.objects.filter(request=req, excluded=False)
        .filter(Q(user=user) | Q(role_id__in=_active_role_ids(user)))
        .exists()
    )
