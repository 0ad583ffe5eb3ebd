"""Approval flows are configured through the engine itself (X-MAKERCHECKER, MENU-ACL).

Changing or removing a flow is a *governance* action: in a dual-admin organisation a
second administrator approves it, and a flow of a governance action can be neither
``auto`` nor let the initiator approve (refused here with ``dual_control_required``;
``policy.resolve_policy`` also clamps whatever a flow says, e.g. a global flow).

Interfaces submit ``approvals.flow_configure`` / ``approvals.flow_delete`` with
``services.submit`` (see ``flow_change_payload``); ``check_*`` runs at submission and
again at execution, ``execute_*`` writes in the approval's transaction.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from django.utils.translation import gettext_lazy as _
from pydantic import BaseModel, ConfigDict, Field

from custodesk.audit.services import record
from custodesk.core import access
from custodesk.core.errors import FieldError, NotFound, ValidationFailed
from custodesk.core.money import Money
from custodesk.identity.models import Organisation, Role, User

from . import permissions as perms
from . import registry
from .errors import DualControlRequired
from .models import DEFAULT_ACTION, ApprovalFlow, FlowLevel

FLOW_CONFIGURE = "approvals.flow_configure"
FLOW_DELETE = "approvals.flow_delete"
DEFAULT_EXPIRY_HOURS = 72
MAX_EXPIRY_HOURS = 24 * 366
MAX_LEVELS = 10
MAX_REQUIRED_APPROVALS = 20


class LevelInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field("", max_length=100)
    required_approvals: int = Field(1, ge=0, le=10_000)
    forbid_initiator: bool = True
    min_amount: str | None = Field(None, max_length=40)
    currency: str = Field("", max_length=3)
    user_ids: list[UUID] = Field(default_factory=list, max_length=100)
    role_codes: list[str] = Field(default_factory=list, max_length=100)


class FlowChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action_type: str = Field(max_length=100)
    mode: str = Field(max_length=20)
    expiry_hours: int = Field(DEFAULT_EXPIRY_HOURS, ge=0, le=10**6)
    levels: list[LevelInput] = Field(default_factory=list, max_length=50)
    global_flow: bool = False


class FlowRemoval(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action_type: str = Field(max_length=100)
    global_flow: bool = False


def flow_change_payload(
    *,
    action_type: str,
    mode: str,
    expiry_hours: int = DEFAULT_EXPIRY_HOURS,
    levels: list[LevelInput] | list[dict[str, Any]],
    global_flow: bool = False,
) -> dict[str, Any]:
    """The payload an interface submits as ``approvals.flow_configure``."""
    return {
        "action_type": action_type,
        "mode": mode,
        "expiry_hours": expiry_hours,
        "levels": [
            lv.model_dump(mode="json") if isinstance(lv, LevelInput) else lv for lv in levels
        ],
        "global_flow": global_flow,
    }


def flow_state(flow: ApprovalFlow) -> dict[str, Any]:
    return {
        "mode": flow.mode,
        "expiry_hours": flow.expiry_hours,
        "levels": [
            {
                "name": lv.name,
                "required_approvals": lv.required_approvals,
                "forbid_initiator": lv.forbid_initiator,
                "min_amount": lv.min_amount,
                "currency": lv.amount_currency,
                "users": sorted(u.username for u in lv.approver_users.all()),
                "roles": lv.approver_role_codes,
            }
            for lv in flow.levels.order_by("position")
        ],
    }


def _target_org(actor: User, global_flow: bool) -> Organisation | None:
    if global_flow and actor.organisation.kind != Organisation.Kind.STAFF:
        raise NotFound(object="organisation")
    return None if global_flow else actor.organisation


def _known_action(action_type: str) -> registry.ActionType | None:
    if action_type == DEFAULT_ACTION:
        return None
    return registry.get(action_type)


def _dual_control_errors(change: FlowChange, org: Organisation) -> list[FieldError]:
    """A governance action's flow keeps the second pair of eyes where it is required:
    in a dual-admin organisation, and in a global flow (it applies to every organisation)."""
    action = _known_action(change.action_type)
    if action is None or not action.governance:
        return []
    if not (change.global_flow or org.dual_admin):
        return []
    errors = []
    if change.mode == ApprovalFlow.Mode.AUTO:
        errors.append(
            FieldError(
                "mode",
                DualControlRequired.code,
                _("A change to the controls needs a second administrator: it cannot be automatic."),
            )
        )
    for i, lv in enumerate(change.levels):
        if not lv.forbid_initiator:
            errors.append(
                FieldError(
                    f"levels.{i}.forbid_initiator",
                    DualControlRequired.code,
                    _("The initiator of a change to the controls may not approve it."),
                )
            )
    return errors


def _threshold(lv: LevelInput, i: int) -> tuple[int | None, list[FieldError]]:
    if lv.min_amount in (None, ""):
        return None, []
    if not lv.currency:
        return None, [
            FieldError(f"levels.{i}.currency", "required", _("A threshold needs a currency."))
        ]
    try:
        amount = Decimal(str(lv.min_amount))
    except InvalidOperation:
        return None, [FieldError(f"levels.{i}.min_amount", "decimal", _("Enter a number."))]
    try:
        return Money.from_decimal(amount, lv.currency, field=f"levels.{i}.min_amount").minor, []
    except ValidationFailed as exc:
        return None, [
            FieldError(
                e.field if e.field.startswith("levels") else f"levels.{i}.currency",
                e.rule,
                e.message,
            )
            for e in exc.errors
        ]


Parsed = list[tuple[LevelInput, int | None, list[User]]]


def _parse(change: FlowChange, org: Organisation) -> Parsed:
    """Every rule of a flow, all errors at once (ValidationFailed)."""
    errors: list[FieldError] = []
    if change.mode not in ApprovalFlow.Mode.values:
        errors.append(FieldError("mode", "choice", _("Not a valid choice.")))
    if not 1 <= change.expiry_hours <= MAX_EXPIRY_HOURS:
        errors.append(
            FieldError(
                "expiry_hours",
                "range",
                _("Between 1 and %(max)s hours.") % {"max": MAX_EXPIRY_HOURS},
            )
        )
    if change.mode == ApprovalFlow.Mode.REVIEW and not change.levels:
        errors.append(FieldError("levels", "required", _("A reviewed flow needs a level.")))
    if len(change.levels) > MAX_LEVELS:
        errors.append(
            FieldError("levels", "max_items", _("At most %(n)s levels.") % {"n": MAX_LEVELS})
        )
    known = set(Role.objects.filter(organisation=org).values_list("code", flat=True))
    parsed: Parsed = []
    for i, lv in enumerate(change.levels):
        if not 1 <= lv.required_approvals <= MAX_REQUIRED_APPROVALS:
            errors.append(
                FieldError(
                    f"levels.{i}.required_approvals",
                    "range",
                    _("Between 1 and %(max)s.") % {"max": MAX_REQUIRED_APPROVALS},
                )
            )
        threshold, problems = _threshold(lv, i)
        errors.extend(problems)
        users = list(User.objects.filter(public_id__in=lv.user_ids, organisation=org))
        if len(users) != len(set(lv.user_ids)):
            errors.append(FieldError(f"levels.{i}.user_ids", "exists", _("Unknown user.")))
        if change.global_flow and users:
            errors.append(
                FieldError(
                    f"levels.{i}.user_ids",
                    "global_roles_only",
                    _("A flow for every organisation names roles, not users."),
                )
            )
        if not change.global_flow and [c for c in lv.role_codes if c not in known]:
            errors.append(FieldError(f"levels.{i}.role_codes", "exists", _("Unknown role.")))
        parsed.append((lv, threshold, users))
    errors.extend(_dual_control_errors(change, org))
    if errors:
        raise ValidationFailed(errors)
    return parsed


def _flow_object_id(target_org: Organisation | None, action_type: str) -> str:
    return f"{target_org.code if target_org else '*'}:{action_type}"


def check_configure(*, actor: User, payload: FlowChange, now: dt.datetime) -> registry.Preview:
    access.require(actor, perms.FLOW_MANAGE)
    _known_action(payload.action_type)
    target_org = _target_org(actor, payload.global_flow)
    org = Organisation.objects.get(pk=actor.organisation_id)
    _parse(payload, org)
    flow = ApprovalFlow.objects.filter(
        organisation=target_org, action_type=payload.action_type
    ).first()
    after = {
        "mode": payload.mode,
        "expiry_hours": payload.expiry_hours,
        "levels": [lv.model_dump(mode="json") for lv in payload.levels],
    }
    key = _flow_object_id(target_org, payload.action_type)
    return registry.Preview(
        object_type="approval_flow",
        object_id=key,
        dedup_key=key,
        before=flow_state(flow) if flow else None,
        after=after,
    )


def execute_configure(
    *, initiator: User, approver: User | None, payload: FlowChange, request: Any, now: dt.datetime
) -> dict[str, Any]:
    org = Organisation.objects.get(pk=initiator.organisation_id)
    parsed = _parse(payload, org)
    target_org = None if payload.global_flow else org
    flow = (
        ApprovalFlow.objects.select_for_update()
        .filter(organisation=target_org, action_type=payload.action_type)
        .first()
    )
    before = flow_state(flow) if flow else None
    if flow is None:
        flow = ApprovalFlow(organisation=target_org, action_type=payload.action_type)
    flow.mode = payload.mode
    flow.expiry_hours = payload.expiry_hours
    flow.updated_at = now
    flow.updated_by = approver or initiator
    flow.save()
    flow.levels.all().delete()
    if payload.mode == ApprovalFlow.Mode.REVIEW:
        for position, (lv, threshold, users) in enumerate(parsed, start=1):
            level = FlowLevel.objects.create(
                flow=flow,
                position=position,
                name=lv.name[:100],
                required_approvals=lv.required_approvals,
                forbid_initiator=lv.forbid_initiator,
                min_amount=threshold,
                amount_currency=lv.currency if threshold is not None else "",
                approver_role_codes=sorted(set(lv.role_codes)),
            )
            level.approver_users.set(users)
    record(
        actor=approver or initiator,
        action="approval.flow_configure",
        object_type="approval_flow",
        object_id=flow.public_id,
        object_repr=f"{payload.action_type} ({'global' if target_org is None else org.code})",
        before=before,
        after=flow_state(flow),
        approval_request_id=str(request.public_id),
        now=now,
    )
    return {"flow_id": str(flow.public_id), "action_type": payload.action_type}


def describe_configure(*, payload: FlowChange) -> str:
    scope = _("every organisation") if payload.global_flow else _("this organisation")
    return str(
        _("Configure the approval flow of %(action)s (%(mode)s, %(scope)s)")
        % {"action": payload.action_type, "mode": payload.mode, "scope": scope}
    )


def check_delete(*, actor: User, payload: FlowRemoval, now: dt.datetime) -> registry.Preview:
    access.require(actor, perms.FLOW_MANAGE)
    target_org = _target_org(actor, payload.global_flow)
    flow = ApprovalFlow.objects.filter(
        organisation=target_org, action_type=payload.action_type
    ).first()
    if flow is None:
        raise NotFound(object="approval_flow")
    key = _flow_object_id(target_org, payload.action_type)
    return registry.Preview(
        object_type="approval_flow",
        object_id=key,
        dedup_key=key,
        before=flow_state(flow),
        after=None,
    )


def execute_delete(
    *, initiator: User, approver: User | None, payload: FlowRemoval, request: Any, now: dt.datetime
) -> dict[str, Any]:
    target_org = None if payload.global_flow else initiator.organisation
    flow = (
        ApprovalFlow.objects.select_for_update()
        .filter(organisation=target_org, action_type=payload.action_type)
        .first()
    )
    if flow is None:
        raise NotFound(object="approval_flow")
    before = flow_state(flow)
    public_id = flow.public_id
    flow.levels.all().delete()
    flow.delete()
    record(
        actor=approver or initiator,
        action="approval.flow_delete",
        object_type="approval_flow",
        object_id=public_id,
        object_repr=payload.action_type,
        before=before,
        approval_request_id=str(request.public_id),
        now=now,
    )
    return {"deleted": payload.action_type}


def describe_delete(*, payload: FlowRemoval) -> str:
    return str(_("Remove the approval flow of %(action)s") % {"action": payload.action_type})


registry.register(
    registry.ActionType(
        code=FLOW_CONFIGURE,
        label=_("Configure an approval flow"),
        payload=FlowChange,
        check=check_configure,
        execute=execute_configure,
        describe=describe_configure,
        default_levels=registry.second_administrator,
        permission=perms.FLOW_MANAGE,
        governance=True,
    )
)
registry.register(
    registry.ActionType(
        code=FLOW_DELETE,
        label=_("Remove an approval flow"),
        payload=FlowRemoval,
        check=check_delete,
        execute=execute_delete,
        describe=describe_delete,
        default_levels=registry.second_administrator,
        permission=perms.FLOW_MANAGE,
        governance=True,
    )
)
