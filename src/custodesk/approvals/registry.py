"""The extension point: modules declare their approvable actions here.

A module registers an :class:`ActionType` once (in its ``approvals.py``, imported
from its ``AppConfig.ready``)::

    approvals.registry.register(ActionType(
        code="identity.role_grant",
        label=_("Grant a role"),
        payload=RoleGrantPayload,          # pydantic model: validated at submit
        check=check_role_grant,            # preconditions → Preview; run at submit AND execution
        execute=execute_role_grant,        # does the change; runs in the approval's transaction
        describe=describe_role_grant,      # one line for inboxes and audit rows
    ))

The engine never needs to change when a new action is added.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils.functional import Promise
from pydantic import BaseModel

from custodesk.core.errors import DomainError, NotFound
from custodesk.core.money import Money

if TYPE_CHECKING:
    from custodesk.identity.models import Organisation

    from .models import ApprovalRequest


@dataclass(frozen=True)
class Preview:
    """What a check found: the object, the state before and after, optional amount."""

    object_type: str
    object_id: str
    dedup_key: str
    before: Any = None
    after: Any = None
    amount: Money | None = None


@dataclass(frozen=True)
class DefaultLevel:
    """A level used when no flow is configured (see ActionType.default_levels)."""

    role_codes: tuple[str, ...]
    required_approvals: int = 1
    forbid_initiator: bool = True
    name: str = ""


@dataclass(frozen=True)
class ActionType:
    code: str
    label: str | Promise
    payload: type[BaseModel]
    # check(actor=initiator, payload=model, now=...) -> Preview; raises DomainError
    check: Callable[..., Preview]
    # execute(initiator=..., approver=..., payload=model, request=ApprovalRequest, now=...) -> dict
    execute: Callable[..., dict[str, Any]]
    # describe(payload=model) -> str
    describe: Callable[..., str]
    # optional, for actions approved in bulk: execute_many(approver=..., items=[(request,
    # payload model), ...], now=..., audit=[...]) -> a result dict or a DomainError per
    # item, in order.  It re-checks and executes the lot set-based, writes nothing for an
    # item it refuses, and appends its audit rows (custodesk.audit.services.entry) to
    # ``audit`` for the engine to write with its own (see custodesk.approvals.batch).
    execute_many: Callable[..., list[dict[str, Any] | DomainError]] | None = None
    # What applies when no flow is configured for the organisation: None → the default
    # flow; [] → no review (auto); otherwise these levels.
    default_levels: Callable[[Organisation], list[DefaultLevel] | None] = field(
        default=lambda org: None
    )
    # optional: on_reject(payload=..., request=..., now=...) to release what submit held
    on_reject: Callable[..., None] | None = None
    # optional: permission the initiator needs to submit
    permission: str | None = None
    # A change to the controls themselves (approval flows, roles and their permissions,
    # other users' credentials, the dual-admin switch).  In a dual-admin organisation
    # such an action is never applied at once and never approved by its initiator,
    # whatever a flow says (see approvals.policy.resolve_policy).
    governance: bool = False
    # optional: permission every approver must hold when deciding (and a transfer or CC
    # target must hold); governance actions default to ``permission``.
    approver_permission: str | None = None

    @property
    def approve_permission(self) -> str | None:
        if self.approver_permission:
            return self.approver_permission
        return self.permission if self.governance else None


def second_administrator(org: Organisation) -> list[DefaultLevel]:
    """The default review of a governance action: another administrator in dual-admin
    mode; applied at once (and still recorded) in single-admin mode."""
    if not org.dual_admin:
        return []
    return [DefaultLevel(role_codes=("admin",), name="second administrator")]


_registry: dict[str, ActionType] = {}


def register(action: ActionType) -> ActionType:
    if action.code in _registry and _registry[action.code] is not action:
        raise ValueError(f"approvable action {action.code!r} registered twice")
    _registry[action.code] = action
    return action


def get(code: str) -> ActionType:
    try:
        return _registry[code]
    except KeyError:
        raise NotFound(object="action_type", action_type=code) from None


def find(code: str) -> ActionType | None:
    return _registry.get(code)


def all_types() -> list[ActionType]:
    return sorted(_registry.values(), key=lambda a: a.code)


def describe(request: ApprovalRequest) -> str:
    action = _registry.get(request.action_type)
    if action is None:
        return request.summary
    return action.describe(payload=action.payload.model_validate(request.payload))
