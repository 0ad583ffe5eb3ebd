"""Role grants and revocations are approvable actions (MENU-ACL / CT-MENU).

In dual-admin mode (``Organisation.dual_admin``) a second administrator must
approve; in single-admin mode the grant applies at once (still a recorded,
auto-approved request with its audit rows).  A configured approval flow for
the action type may add levels, but being a change to the controls (governance)
it can never make a grant automatic or self-approved in dual-admin mode.
The other governance actions are in ``governance.py``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from django.utils.translation import gettext_lazy as _
from pydantic import BaseModel

from custodesk.approvals.registry import ActionType, Preview, register, second_administrator

from . import permissions as perms
from . import services
from .models import Role, RoleGrant, User

ROLE_GRANT = "identity.role_grant"
ROLE_REVOKE = "identity.role_revoke"


class RoleChange(BaseModel):
    user_id: UUID
    role_id: UUID


def _names(payload: RoleChange) -> tuple[str, str]:
    user = User.objects.filter(public_id=payload.user_id).first()
    role = Role.objects.filter(public_id=payload.role_id).first()
    return (user.username if user else str(payload.user_id), role.code if role else "?")


def _preview(user: User, role: Role, roles_after: list[str]) -> Preview:
    return Preview(
        object_type="user",
        object_id=str(user.public_id),
        dedup_key=f"{user.public_id}:{role.public_id}",
        before={"user": user.username, "roles": user.role_codes()},
        after={"user": user.username, "roles": roles_after},
    )


def _executed(grant: RoleGrant) -> dict[str, Any]:
    return {"grant_id": str(grant.public_id), "role": grant.role.code, "user": grant.user.username}


def check_grant(*, actor: User, payload: RoleChange, now: dt.datetime) -> Preview:
    user, role = services.role_grant_check(
        actor=actor, user_id=payload.user_id, role_id=payload.role_id
    )
    return _preview(user, role, sorted([*user.role_codes(), role.code]))


def execute_grant(
    *, initiator: User, approver: User | None, payload: RoleChange, request: Any, now: dt.datetime
) -> dict[str, Any]:
    return _executed(
        services.role_grant_execute(
            actor=approver or initiator,
            user_id=payload.user_id,
            role_id=payload.role_id,
            approval_request_id=str(request.public_id),
            now=now,
        )
    )


def describe_grant(*, payload: RoleChange) -> str:
    user, role = _names(payload)
    return str(_("Grant role %(role)s to %(user)s") % {"role": role, "user": user})


def check_revoke(*, actor: User, payload: RoleChange, now: dt.datetime) -> Preview:
    user, role = services.role_revoke_check(
        actor=actor, user_id=payload.user_id, role_id=payload.role_id
    )
    return _preview(user, role, [c for c in user.role_codes() if c != role.code])


def execute_revoke(
    *, initiator: User, approver: User | None, payload: RoleChange, request: Any, now: dt.datetime
) -> dict[str, Any]:
    return _executed(
        services.role_revoke_execute(
            actor=approver or initiator,
            user_id=payload.user_id,
            role_id=payload.role_id,
            approval_request_id=str(request.public_id),
            now=now,
        )
    )


def describe_revoke(*, payload: RoleChange) -> str:
    user, role = _names(payload)
    return str(_("Revoke role %(role)s from %(user)s") % {"role": role, "user": user})


register(
    ActionType(
        code=ROLE_GRANT,
        label=_("Grant a role"),
        payload=RoleChange,
        check=check_grant,
        execute=execute_grant,
        describe=describe_grant,
        default_levels=second_administrator,
        permission=perms.ROLE_GRANT,
        governance=True,
    )
)
register(
    ActionType(
        code=ROLE_REVOKE,
        label=_("Revoke a role"),
        payload=RoleChange,
        check=check_revoke,
        execute=execute_revoke,
        describe=describe_revoke,
        default_levels=second_administrator,
        permission=perms.ROLE_GRANT,
        governance=True,
    )
)
