"""Role grants and revocations (executed by the approval engine) and the CLI's grant."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from custodesk.audit.services import record
from custodesk.core import access
from custodesk.core.errors import IllegalTransition, NotFound, ValidationFailed

from .. import permissions as perms
from ..errors import (
    RoleAlreadyGranted,
    RoleNotGranted,
)
from ..models import Organisation, Role, RoleGrant, User
from ..selectors import visible_role as _visible_role
from ..selectors import visible_user as _visible_user


# -- roles ---------------------------------------------------------------------
def _check_permission_codes(codes: list[str], org: Organisation) -> list[str]:
    unknown = [c for c in codes if not access.is_declared(c)]
    if unknown:
        raise ValidationFailed.single(
            "permissions", "declared", _("Unknown permission: %s") % ", ".join(unknown)
        )
    staff_only = sorted({c for c in codes if access.is_staff_only(c)})
    if staff_only and org.kind != Organisation.Kind.STAFF:
        raise ValidationFailed.single(
            "permissions",
            "staff_only",
            _("Only roles of the staff organisation may hold: %s") % ", ".join(staff_only),
        )
    return sorted(set(codes))


def _grant(
    *,
    actor: User | None,
    user: User,
    role: Role,
    now: dt.datetime,
    approval_request_id: str | None,
    conceal_username: bool = False,
) -> RoleGrant:
    """``conceal_username``: the audit row names the user by its id only (a login name
    that reaches its user through the outbox alone: ``organisation_open``)."""
    if user.organisation_id != role.organisation_id:
        raise ValidationFailed.single(
            "role", "same_organisation", _("The role belongs to another organisation.")
        )
    if RoleGrant.objects.filter(user=user, role=role, revoked_at__isnull=True).exists():
        raise RoleAlreadyGranted()
    roles_before = user.role_codes()
    grant = RoleGrant.objects.create(
        user=user,
        role=role,
        granted_at=now,
        granted_by=actor,
        approval_request_id=approval_request_id or "",
    )
    record(
        actor=actor,
        action="role.grant",
        object_type="user",
        object_id=user.public_id,
        object_repr=f"{user.public_id if conceal_username else user.username} ← {role.code}",
        before={"roles": roles_before},
        after={"roles": sorted([*roles_before, role.code]), "grant": str(grant.public_id)},
        approval_request_id=approval_request_id,
        organisation_id=user.organisation_id,
        organisation_code=user.organisation.code,
        now=now,
    )
    user.forget_permissions()
    return grant


def role_grant_check(*, actor: User, user_id: Any, role_id: Any) -> tuple[User, Role]:
    """Preconditions of a grant (used at request time and again at execution)."""
    access.require(actor, perms.ROLE_GRANT)
    user = _visible_user(actor, user_id)
    role = _visible_role(actor, role_id)
    if role.retired_at is not None:
        raise NotFound(object="role", field="role_id")
    if user.status == User.Status.INACTIVE:
        raise IllegalTransition(status=user.status, field="user")
    if RoleGrant.objects.filter(user=user, role=role, revoked_at__isnull=True).exists():
        raise RoleAlreadyGranted()
    return user, role


def role_revoke_check(*, actor: User, user_id: Any, role_id: Any) -> tuple[User, Role]:
    """Preconditions of a revocation (at request time and again at execution)."""
    access.require(actor, perms.ROLE_GRANT)
    user = _visible_user(actor, user_id)
    role = _visible_role(actor, role_id)
    if not RoleGrant.objects.filter(user=user, role=role, revoked_at__isnull=True).exists():
        raise RoleNotGranted()
    if user.pk == actor.pk and role.code == "admin":
        raise IllegalTransition(field="role")
    return user, role


def role_grant_execute(
    *, actor: User, user_id: Any, role_id: Any, approval_request_id: str, now: dt.datetime
) -> RoleGrant:
    """Apply an approved grant (called by the approval engine inside its transaction).

    Grants are requested with ``approvals.services.submit(action_type="identity.role_grant")``
    (see ``identity/approvals.py``); there is no direct grant service for interfaces.
    """
    user = User.objects.select_for_update().select_related("organisation").get(public_id=user_id)
    role = Role.objects.get(public_id=role_id)
    if user.status == User.Status.INACTIVE:
        raise IllegalTransition(status=user.status, field="user")
    return _grant(
        actor=actor, user=user, role=role, now=now, approval_request_id=approval_request_id
    )


def role_revoke_execute(
    *, actor: User, user_id: Any, role_id: Any, approval_request_id: str, now: dt.datetime
) -> RoleGrant:
    """Apply an approved revocation (called by the approval engine inside its transaction)."""
    user = User.objects.select_for_update().select_related("organisation").get(public_id=user_id)
    role = Role.objects.get(public_id=role_id)
    grant = (
        RoleGrant.objects.select_for_update()
        .filter(user=user, role=role, revoked_at__isnull=True)
        .first()
    )
    if grant is None:
        raise RoleNotGranted()
    roles_before = user.role_codes()
    grant.revoked_at = now
    grant.revoked_by = actor
    grant.save(update_fields=["revoked_at", "revoked_by"])
    record(
        actor=actor,
        action="role.revoke",
        object_type="user",
        object_id=user.public_id,
        object_repr=f"{user.username} ✕ {role.code}",
        before={"roles": roles_before, "grant": str(grant.public_id)},
        after={"roles": [c for c in roles_before if c != role.code]},
        approval_request_id=approval_request_id,
        organisation_id=user.organisation_id,
        organisation_code=user.organisation.code,
        now=now,
    )
    user.forget_permissions()
    return grant


@transaction.atomic(durable=True)
def role_grant_cli(*, user_id: Any, role_id: Any, now: dt.datetime) -> RoleGrant:
    """A grant by the server operator at the CLI (bootstrap, recovery); audited as system."""
    user = _visible_user(None, user_id, for_update=True)
    role = Role.objects.filter(public_id=role_id).first()
    if role is None:
        raise NotFound(object="role")
    return _grant(actor=None, user=user, role=role, now=now, approval_request_id=None)
