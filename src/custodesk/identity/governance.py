"""Changes to the controls are approvable actions (X-MAKERCHECKER, MENU-ACL).

Resetting another user's password or second factor, unlocking a user, creating,
changing or retiring a role, and switching an organisation's dual-admin mode go through
the approval engine like a role grant: in dual-admin mode a second administrator
(holding the same permission) approves, the initiator never can, and no flow can make
them automatic (``ActionType.governance``).  In single-admin mode they apply at once and
are still recorded as auto-approved requests with their audit rows.

Interfaces submit them with ``approvals.services.submit(action_type=..., payload=...)``;
the server operator's CLI has its own services at the end (``*_cli``), audited as system.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from pydantic import BaseModel, ConfigDict, Field

from custodesk.approvals.registry import (
    ActionType,
    Preview,
    register,
    second_administrator,
)
from custodesk.audit.services import record
from custodesk.core import access
from custodesk.core.errors import IllegalTransition, NotFound, ValidationFailed
from custodesk.notify import services as notify

from . import permissions as perms
from .errors import CannotActOnSelf, RoleInUse, TotpNotEnrolled
from .models import Organisation, Role, RoleGrant, User, UserSession
from .selectors import visible_role as _visible_role
from .selectors import visible_user as _visible_user
from .services.common import _end_sessions, _user_state, generate_password
from .services.roles import _check_permission_codes

USER_UNLOCK = "identity.user_unlock"
USER_RESET_PASSWORD = "identity.user_reset_password"  # noqa: S105 - an action code
TOTP_REMOVE = "identity.totp_remove"
ROLE_CREATE = "identity.role_create"
ROLE_SET_PERMISSIONS = "identity.role_set_permissions"
ROLE_DELETE = "identity.role_delete"
DUAL_ADMIN = "identity.organisation_dual_admin"

BUILTIN_ROLE_CODES = ("admin",)  # the role every organisation's administrators hold


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UserTarget(_Payload):
    user_id: UUID
    reason: str = Field("", max_length=500)


class RoleDefinition(_Payload):
    code: str = Field(max_length=64)
    name: str = Field(max_length=200)
    description: str = Field("", max_length=2000)
    permissions: list[str] = Field(default_factory=list, max_length=500)
    organisation_id: UUID | None = None


class RolePermissions(_Payload):
    role_id: UUID
    permissions: list[str] = Field(default_factory=list, max_length=500)


class RoleTarget(_Payload):
    role_id: UUID


class DualAdminSwitch(_Payload):
    organisation_id: UUID
    enabled: bool


def _user_preview(user: User, before: Any, after: Any) -> Preview:
    return Preview(
        object_type="user",
        object_id=str(user.public_id),
        dedup_key=str(user.public_id),
        before={"user": user.username, **before},
        after={"user": user.username, **after},
    )


def _username(user_id: UUID) -> str:
    user = User.objects.filter(public_id=user_id).only("username").first()
    return user.username if user else str(user_id)


def _other_user(actor: User, user_id: UUID, *, for_update: bool = False) -> User:
    user = _visible_user(actor, user_id, for_update=for_update)
    if user.pk == actor.pk:
        raise CannotActOnSelf()
    return user


def _audit_user(
    actor: User | None, action: str, user: User, *, before: Any, after: Any, **kw: Any
) -> None:
    record(
        actor=actor,
        action=action,
        object_type="user",
        object_id=user.public_id,
        object_repr=user.username,
        before=before,
        after=after,
        organisation_id=user.organisation_id,
        organisation_code=user.organisation.code,
        **kw,
    )


def _request_id(request: Any) -> str | None:
    return str(request.public_id) if request is not None else None


# -- unlock ----------------------------------------------------------------------
def _locked_out(user: User, now: dt.datetime) -> bool:
    return user.lockout_until is not None and user.lockout_until > now


def check_unlock(*, actor: User, payload: UserTarget, now: dt.datetime) -> Preview:
    access.require(actor, perms.USER_MANAGE)
    user = _other_user(actor, payload.user_id)
    if user.status != User.Status.LOCKED and not _locked_out(user, now):
        raise IllegalTransition(status=user.status)
    return _user_preview(user, {"status": user.status}, {"status": User.Status.ACTIVE})


def _unlock(
    *, actor: User | None, user: User, reason: str, request_id: str | None, now: dt.datetime
) -> User:
    if user.status != User.Status.LOCKED and not _locked_out(user, now):
        raise IllegalTransition(status=user.status)
    before = _user_state(user) | {"lockout_until": user.lockout_until}
    user.status = User.Status.ACTIVE
    user.lock_reason = ""
    user.failed_logins = 0
    user.lockout_until = None
    user.save(update_fields=["status", "lock_reason", "failed_logins", "lockout_until"])
    _audit_user(
        actor,
        "user.unlock",
        user,
        before=before,
        after=_user_state(user),
        reason=reason,
        approval_request_id=request_id,
        now=now,
    )
    return user


def execute_unlock(
    *, initiator: User, approver: User | None, payload: UserTarget, request: Any, now: dt.datetime
) -> dict[str, Any]:
    user = _visible_user(initiator, payload.user_id, for_update=True)
    _unlock(
        actor=approver or initiator,
        user=user,
        reason=payload.reason,
        request_id=_request_id(request),
        now=now,
    )
    return {"user": user.username, "status": user.status}


def describe_unlock(*, payload: UserTarget) -> str:
    return str(_("Unlock user %(user)s") % {"user": _username(payload.user_id)})


# -- password reset ----------------------------------------------------------------
def _delivery(user: User) -> tuple[str, str] | None:
    """Where a temporary password goes: the user's e-mail, else the user's mobile."""
    if user.email:
        return "email", user.email
    if user.phone:
        return "sms", user.phone
    return None


def check_reset_password(*, actor: User, payload: UserTarget, now: dt.datetime) -> Preview:
    access.require(actor, perms.USER_MANAGE)
    user = _other_user(actor, payload.user_id)
    if user.status == User.Status.INACTIVE:
        raise IllegalTransition(status=user.status, field="user_id")
    if _delivery(user) is None:
        raise ValidationFailed.single(
            "user_id",
            "no_contact",
            _("The user has no e-mail address or mobile number to receive a new password."),
        )
    return _user_preview(user, {"password": "current"}, {"password": "temporary"})


def _reset_password(
    *, actor: User | None, user: User, request_id: str | None, now: dt.datetime
) -> str:
    temp = generate_password()
    user.set_password(temp)
    user.must_change_password = True
    user.failed_logins = 0
    user.lockout_until = None
    user.save(update_fields=["password", "must_change_password", "failed_logins", "lockout_until"])
    _end_sessions(user, reason=UserSession.EndReason.PASSWORD_CHANGED, now=now, by=actor)
    _audit_user(
        actor,
        "user.reset_password",
        user,
        before=None,
        after={"must_change_password": True},
        approval_request_id=request_id,
        now=now,
    )
    return temp


def execute_reset_password(
    *, initiator: User, approver: User | None, payload: UserTarget, request: Any, now: dt.datetime
) -> dict[str, Any]:
    """The temporary password goes to the user through the outbox (e-mail, else SMS),
    written in this transaction: no administrator sees it — neither the one who asked
    nor the one who approved — and it is kept only until delivered."""
    user = _visible_user(initiator, payload.user_id, for_update=True)
    delivery = _delivery(user)
    if delivery is None:
        raise ValidationFailed.single("user_id", "no_contact", _("No e-mail or mobile number."))
    temp = _reset_password(
        actor=approver or initiator, user=user, request_id=_request_id(request), now=now
    )
    channel, recipient = delivery
    message = notify.enqueue(
        channel=channel,
        template="notify.credentials",
        recipient=recipient,
        language=user.language or None,
        context={"username": user.username},
        secrets={"password": temp},
        now=now,
    )
    return {
        "user": user.username,
        "must_change_password": True,
        "delivered_by": channel,
        "message_id": str(message.public_id),
    }


def describe_reset_password(*, payload: UserTarget) -> str:
    return str(_("Reset the password of %(user)s") % {"user": _username(payload.user_id)})


# -- second factor -----------------------------------------------------------------
def check_totp_remove(*, actor: User, payload: UserTarget, now: dt.datetime) -> Preview:
    access.require(actor, perms.USER_MANAGE)
    if not payload.reason.strip():
        raise ValidationFailed.single("reason", "required", _("Give a reason."))
    user = _other_user(actor, payload.user_id)
    if not TOTPDevice.objects.filter(user=user).exists():
        raise TotpNotEnrolled()
    return _user_preview(user, {"totp": True}, {"totp": False})


def execute_totp_remove(
    *, initiator: User, approver: User | None, payload: UserTarget, request: Any, now: dt.datetime
) -> dict[str, Any]:
    user = _visible_user(initiator, payload.user_id, for_update=True)
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    _audit_user(
        approver or initiator,
        "totp.removed",
        user,
        before={"totp": True},
        after={"totp": False},
        reason=payload.reason,
        approval_request_id=_request_id(request),
        now=now,
    )
    return {"user": user.username, "totp": False}


def describe_totp_remove(*, payload: UserTarget) -> str:
    return str(_("Remove the authenticator of %(user)s") % {"user": _username(payload.user_id)})


# -- roles -------------------------------------------------------------------------
ROLE_CODE_RE = re.compile(r"[a-z][a-z0-9_]{1,63}")


def _role_org(actor: User, organisation_id: UUID | None) -> Organisation:
    if organisation_id is None:
        return Organisation.objects.get(pk=actor.organisation_id)
    found = Organisation.objects.filter(public_id=organisation_id).first()
    if found is None or not actor.sees_organisation(found.pk):
        raise NotFound(object="organisation", field="organisation_id")
    return found


def _audit_role(
    actor: User, action: str, role: Role, *, request: Any, now: dt.datetime, **change: Any
) -> None:
    record(
        actor=actor,
        action=action,
        object_type="role",
        object_id=role.public_id,
        object_repr=role.name,
        approval_request_id=_request_id(request),
        organisation_id=role.organisation_id,
        now=now,
        **change,
    )


def _role_code(role_id: UUID) -> str:
    role = Role.objects.filter(public_id=role_id).only("code").first()
    return role.code if role else str(role_id)


def _role_preview(role_key: str, before: Any, after: Any) -> Preview:
    return Preview(
        object_type="role", object_id=role_key, dedup_key=role_key, before=before, after=after
    )


def check_role_create(*, actor: User, payload: RoleDefinition, now: dt.datetime) -> Preview:
    access.require(actor, perms.ROLE_MANAGE)
    org = _role_org(actor, payload.organisation_id)
    if not ROLE_CODE_RE.fullmatch(payload.code):
        raise ValidationFailed.single(
            "code", "pattern", _("2–64 lower-case letters, digits or _, starting with a letter.")
        )
    if not payload.name.strip():
        raise ValidationFailed.single("name", "required", _("This field is required."))
    codes = _check_permission_codes(payload.permissions, org)
    if Role.objects.filter(organisation=org, code=payload.code).exists():
        raise ValidationFailed.single("code", "unique", _("This code is already used."))
    return _role_preview(
        f"{org.code}:{payload.code}",
        None,
        {"code": payload.code, "name": payload.name.strip(), "permissions": codes},
    )


def execute_role_create(
    *,
    initiator: User,
    approver: User | None,
    payload: RoleDefinition,
    request: Any,
    now: dt.datetime,
) -> dict[str, Any]:
    org = _role_org(initiator, payload.organisation_id)
    codes = _check_permission_codes(payload.permissions, org)
    role = Role.objects.create(
        organisation=org,
        code=payload.code,
        name=payload.name.strip(),
        description=payload.description,
        permissions=codes,
        created_at=now,
    )
    _audit_role(
        approver or initiator,
        "role.create",
        role,
        after={"code": role.code, "name": role.name, "permissions": codes},
        organisation_code=org.code,
        request=request,
        now=now,
    )
    return {"role_id": str(role.public_id), "code": role.code}


def describe_role_create(*, payload: RoleDefinition) -> str:
    return str(_("Define role %(code)s") % {"code": payload.code})


def _active_role(actor: User, role_id: UUID) -> Role:
    role = _visible_role(actor, role_id)
    if role.retired_at is not None:
        raise NotFound(object="role", field="role_id")
    return role


def check_role_set_permissions(
    *, actor: User, payload: RolePermissions, now: dt.datetime
) -> Preview:
    access.require(actor, perms.ROLE_MANAGE)
    role = _active_role(actor, payload.role_id)
    if role.code in BUILTIN_ROLE_CODES:
        raise IllegalTransition(field="role_id", reason="builtin_role")
    codes = _check_permission_codes(payload.permissions, role.organisation)
    return _role_preview(
        str(role.public_id),
        {"role": role.code, "permissions": role.permissions},
        {"role": role.code, "permissions": codes},
    )


def execute_role_set_permissions(
    *,
    initiator: User,
    approver: User | None,
    payload: RolePermissions,
    request: Any,
    now: dt.datetime,
) -> dict[str, Any]:
    role = Role.objects.select_for_update().get(public_id=payload.role_id)
    codes = _check_permission_codes(payload.permissions, role.organisation)
    before = role.permissions
    role.permissions = codes
    role.save(update_fields=["permissions"])
    _audit_role(
        approver or initiator,
        "role.update",
        role,
        before={"permissions": before},
        after={"permissions": codes},
        request=request,
        now=now,
    )
    return {"role": role.code, "permissions": codes}


def describe_role_set_permissions(*, payload: RolePermissions) -> str:
    return str(_("Change the permissions of role %(code)s") % {"code": _role_code(payload.role_id)})


def check_role_delete(*, actor: User, payload: RoleTarget, now: dt.datetime) -> Preview:
    access.require(actor, perms.ROLE_MANAGE)
    role = _active_role(actor, payload.role_id)
    if role.code in BUILTIN_ROLE_CODES:
        raise IllegalTransition(field="role_id", reason="builtin_role")
    holders = RoleGrant.objects.filter(role=role, revoked_at__isnull=True).count()
    if holders:
        raise RoleInUse(holders=holders)
    return _role_preview(
        str(role.public_id), {"role": role.code, "permissions": role.permissions}, None
    )


def execute_role_delete(
    *, initiator: User, approver: User | None, payload: RoleTarget, request: Any, now: dt.datetime
) -> dict[str, Any]:
    """Retire the role: it can no longer be granted; past grants keep pointing at it."""
    role = Role.objects.select_for_update().get(public_id=payload.role_id)
    if RoleGrant.objects.filter(role=role, revoked_at__isnull=True).exists():
        raise RoleInUse()
    role.retired_at = now
    role.save(update_fields=["retired_at"])
    _audit_role(
        approver or initiator,
        "role.delete",
        role,
        before={"code": role.code, "permissions": role.permissions},
        request=request,
        now=now,
    )
    return {"role": role.code, "retired": True}


def describe_role_delete(*, payload: RoleTarget) -> str:
    return str(_("Remove role %(code)s") % {"code": _role_code(payload.role_id)})


# -- dual-admin switch ---------------------------------------------------------------
def _visible_org(actor: User, organisation_id: UUID) -> Organisation:
    org = Organisation.objects.filter(public_id=organisation_id).first()
    if org is None or not actor.sees_organisation(org.pk):
        raise NotFound(object="organisation", field="organisation_id")
    return org


def check_dual_admin(*, actor: User, payload: DualAdminSwitch, now: dt.datetime) -> Preview:
    access.require(actor, perms.ORGANISATION_MANAGE)
    org = _visible_org(actor, payload.organisation_id)
    if org.dual_admin == payload.enabled:
        raise IllegalTransition(field="enabled", dual_admin=org.dual_admin)
    return Preview(
        object_type="organisation",
        object_id=str(org.public_id),
        dedup_key=str(org.public_id),
        before={"dual_admin": org.dual_admin},
        after={"dual_admin": payload.enabled},
    )


def execute_dual_admin(
    *,
    initiator: User,
    approver: User | None,
    payload: DualAdminSwitch,
    request: Any,
    now: dt.datetime,
) -> dict[str, Any]:
    org = Organisation.objects.select_for_update().get(public_id=payload.organisation_id)
    before = org.dual_admin
    org.dual_admin = payload.enabled
    org.save(update_fields=["dual_admin"])
    record(
        actor=approver or initiator,
        action="organisation.dual_admin",
        object_type="organisation",
        object_id=org.public_id,
        object_repr=str(org),
        before={"dual_admin": before},
        after={"dual_admin": payload.enabled},
        approval_request_id=_request_id(request),
        organisation_id=org.pk,
        organisation_code=org.code,
        now=now,
    )
    return {"organisation": org.code, "dual_admin": org.dual_admin}


def describe_dual_admin(*, payload: DualAdminSwitch) -> str:
    org = Organisation.objects.filter(public_id=payload.organisation_id).only("code").first()
    code = org.code if org else str(payload.organisation_id)
    if payload.enabled:
        return str(_("Switch on dual-admin mode for %(org)s") % {"org": code})
    return str(_("Switch off dual-admin mode for %(org)s") % {"org": code})


def _governance(
    code: str, label: Any, payload: type[BaseModel], permission: str, **fns: Any
) -> None:
    register(
        ActionType(
            code=code,
            label=label,
            payload=payload,
            default_levels=second_administrator,
            permission=permission,
            governance=True,
            **fns,
        )
    )


_governance(
    USER_UNLOCK,
    _("Unlock a user"),
    UserTarget,
    perms.USER_MANAGE,
    check=check_unlock,
    execute=execute_unlock,
    describe=describe_unlock,
)
_governance(
    USER_RESET_PASSWORD,
    _("Reset a user's password"),
    UserTarget,
    perms.USER_MANAGE,
    check=check_reset_password,
    execute=execute_reset_password,
    describe=describe_reset_password,
)
_governance(
    TOTP_REMOVE,
    _("Remove a user's authenticator"),
    UserTarget,
    perms.USER_MANAGE,
    check=check_totp_remove,
    execute=execute_totp_remove,
    describe=describe_totp_remove,
)
_governance(
    ROLE_CREATE,
    _("Define a role"),
    RoleDefinition,
    perms.ROLE_MANAGE,
    check=check_role_create,
    execute=execute_role_create,
    describe=describe_role_create,
)
_governance(
    ROLE_SET_PERMISSIONS,
    _("Change a role's permissions"),
    RolePermissions,
    perms.ROLE_MANAGE,
    check=check_role_set_permissions,
    execute=execute_role_set_permissions,
    describe=describe_role_set_permissions,
)
_governance(
    ROLE_DELETE,
    _("Remove a role"),
    RoleTarget,
    perms.ROLE_MANAGE,
    check=check_role_delete,
    execute=execute_role_delete,
    describe=describe_role_delete,
)
_governance(
    DUAL_ADMIN,
    _("Switch dual-admin mode"),
    DualAdminSwitch,
    perms.ORGANISATION_MANAGE,
    check=check_dual_admin,
    execute=execute_dual_admin,
    describe=describe_dual_admin,
)


# -- the server operator's CLI (no actor: whoever runs it owns the machine) ----------
@transaction.atomic(durable=True)
def user_unlock_cli(*, user_id: Any, reason: str = "", now: dt.datetime) -> User:
    """``custodesk user unlock``: audited as the system, channel cli."""
    user = _visible_user(None, user_id, for_update=True)
    return _unlock(actor=None, user=user, reason=reason, request_id=None, now=now)


@transaction.atomic(durable=True)
def user_reset_password_cli(*, user_id: Any, now: dt.datetime) -> tuple[User, str]:
    """``custodesk user reset-password``: the operator at the server gets the password."""
    user = _visible_user(None, user_id, for_update=True)
    return user, _reset_password(actor=None, user=user, request_id=None, now=now)
