"""Organisations and users: create, bootstrap, lock, deactivate."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from custodesk.audit.services import record
from custodesk.core import access, modules
from custodesk.core.errors import FieldError, IllegalTransition, NotFound, ValidationFailed

from .. import permissions as perms
from ..errors import (
    CannotActOnSelf,
    UsernameTaken,
)
from ..models import Organisation, Role, SignInFactor, User, UserSession
from ..selectors import visible_user as _visible_user
from .common import (
    USERNAME_RE,
    _check_password_policy,
    _end_sessions,
    _require,
    _user_state,
    generate_password,
)
from .roles import _grant


# -- organisations and users ---------------------------------------------------
def _organisation_problems(
    code: str, name: str, kind: str, sign_in_factor: str
) -> list[FieldError]:
    errors = []
    if not re.fullmatch(r"[A-Z0-9_-]{2,32}", code or ""):
        errors.append(FieldError("code", "pattern", _("2–32 capital letters, digits, - or _")))
    if not name.strip():
        errors.append(FieldError("name", "required", _("This field is required.")))
    if kind not in Organisation.Kind.values:
        errors.append(FieldError("kind", "choice", _("Not a valid choice.")))
    if sign_in_factor not in SignInFactor.values:
        errors.append(FieldError("sign_in_factor", "choice", _("Not a valid choice.")))
    if Organisation.objects.filter(code=code).exists():
        errors.append(FieldError("code", "unique", _("This code is already used.")))
    return errors


def _organisation_insert(
    *, actor: User | None, code: str, name: str, kind: str, sign_in_factor: str, now: dt.datetime
) -> Organisation:
    errors = _organisation_problems(code, name, kind, sign_in_factor)
    if errors:
        raise ValidationFailed(errors)
    try:
        with transaction.atomic():
            org = Organisation.objects.create(
                code=code,
                name=name.strip(),
                kind=kind,
                sign_in_factor=sign_in_factor,
                created_at=now,
            )
    except IntegrityError:
        raise ValidationFailed.single("code", "unique", _("This code is already used.")) from None
    after = {"code": code, "name": org.name, "kind": kind}
    if sign_in_factor:
        after["sign_in_factor"] = sign_in_factor
    record(
        actor=actor,
        action="organisation.create",
        object_type="organisation",
        object_id=org.public_id,
        object_repr=str(org),
        after=after,
        organisation_id=org.pk,
        organisation_code=org.code,
        now=now,
    )
    return org


@transaction.atomic(durable=True)
def organisation_create(
    *, actor: User | None, code: str, name: str, kind: str, now: dt.datetime
) -> Organisation:
    """Create an organisation.  Raises ValidationFailed, PermissionDenied."""
    if actor is not None:
        access.require(actor, perms.USER_MANAGE)
    return _organisation_insert(
        actor=actor, code=code, name=name, kind=kind, sign_in_factor="", now=now
    )


def organisation_open(
    *,
    actor: User | None,
    code: str,
    name: str,
    kind: str,
    sign_in_factor: str,
    admin_username: str,
    admin_full_name: str,
    admin_email: str,
    admin_phone: str,
    admin_language: str,
    now: dt.datetime,
    admin_role: str = "admin",
) -> tuple[Organisation, User, str]:
    """Open an organisation with its built-in roles (those its kind gets) and its first
    administrator (role ``admin_role``, "admin" unless the caller names another built-in
    role of the kind; must change the generated password at first sign-in).

    Runs in the **caller's** transaction (a registration's approval, say): the caller
    has checked its own permission, and sends the login name and the returned temporary
    password through the outbox only (never shows them, never keeps the password); the
    audit rows name the first user by its id, not its login name.  Raises ValidationFailed,
    UsernameTaken (field ``admin_username``).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("organisation_open() runs inside the caller's transaction")
    org = _organisation_insert(
        actor=actor, code=code, name=name, kind=kind, sign_in_factor=sign_in_factor, now=now
    )
    roles = _ensure_builtin_roles(org, now=now)
    if admin_role not in roles:
        raise LookupError(f"no built-in role {admin_role!r} for organisations of kind {kind!r}")
    try:
        user, temp = _user_create(
            actor=actor,
            organisation=org,
            username=admin_username,
            full_name=admin_full_name,
            email=admin_email,
            phone=admin_phone,
            password=None,
            must_change_password=True,
            now=now,
            conceal_username=True,
        )
    except UsernameTaken:
        raise UsernameTaken(field="admin_username") from None
    except ValidationFailed as exc:
        raise ValidationFailed(
            FieldError(f"admin_{e.field}", e.rule, e.message) for e in exc.errors
        ) from None
    if admin_language:
        user.language = admin_language[:16]
        user.save(update_fields=["language"])
    _grant(
        actor=actor,
        user=user,
        role=roles[admin_role],
        now=now,
        approval_request_id=None,
        conceal_username=True,
    )
    return org, user, temp


def _concealed(state: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in state.items() if k != "username"}


def _user_create(
    *,
    actor: User | None,
    organisation: Organisation,
    username: str,
    full_name: str,
    email: str,
    phone: str,
    password: str | None,
    must_change_password: bool,
    now: dt.datetime,
    conceal_username: bool = False,
) -> tuple[User, str]:
    """``conceal_username``: the audit row names the user by its id and leaves the login
    name out (one that reaches its user through the outbox alone)."""
    errors = []
    if not USERNAME_RE.match(username or ""):
        errors.append(
            FieldError(
                "username",
                "pattern",
                _(
                    "3–150 characters; starts with a letter; letters, digits, "
                    "'.', '@', '-' and '_' only."
                ),
            )
        )
    if not full_name.strip():
        errors.append(FieldError("full_name", "required", _("This field is required.")))
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors.append(FieldError("email", "email", _("Enter a valid e-mail address.")))
    if errors:
        raise ValidationFailed(errors)
    if User.objects.filter(username__iexact=username).exists():
        raise UsernameTaken(field="username")
    user = User(
        organisation=organisation,
        username=username,
        full_name=full_name.strip(),
        email=email,
        phone=phone,
        created_at=now,
        must_change_password=must_change_password,
    )
    temp = password or generate_password()
    _check_password_policy(temp, user, "password")
    user.set_password(temp)
    try:
        with transaction.atomic():
            user.save(force_insert=True)
    except IntegrityError:
        raise UsernameTaken(field="username") from None
    record(
        actor=actor,
        action="user.create",
        object_type="user",
        object_id=user.public_id,
        object_repr=str(user.public_id) if conceal_username else user.username,
        after=_concealed(_user_state(user)) if conceal_username else _user_state(user),
        organisation_id=organisation.pk,
        organisation_code=organisation.code,
        now=now,
    )
    return user, temp


@transaction.atomic(durable=True)
def user_create(
    *,
    actor: User | None,
    organisation_id: Any | None = None,
    username: str,
    full_name: str,
    email: str = "",
    phone: str = "",
    password: str | None = None,
    must_change_password: bool = True,
    now: dt.datetime,
) -> tuple[User, str]:
    """Create a user who must change the (given or generated) password at first sign-in.

    ``must_change_password=False`` exists for demo seeding only; it is recorded.

    Returns the user and the temporary password, shown once to the creator.
    Raises PermissionDenied, NotFound (organisation), ValidationFailed, UsernameTaken.
    """
    _require(actor, perms.USER_MANAGE)
    if organisation_id is None:
        if actor is None:
            raise ValidationFailed.single(
                "organisation_id", "required", _("Name the organisation.")
            )
        org = actor.organisation
    else:
        found = Organisation.objects.filter(public_id=organisation_id).first()
        if found is None or (actor is not None and not actor.sees_organisation(found.pk)):
            raise NotFound(object="organisation")
        org = found
    return _user_create(
        actor=actor,
        organisation=org,
        username=username,
        full_name=full_name,
        email=email,
        phone=phone,
        password=password,
        must_change_password=must_change_password,
        now=now,
    )


@transaction.atomic(durable=True)
def bootstrap_admin(
    *,
    organisation_code: str,
    organisation_name: str,
    username: str,
    full_name: str,
    password: str | None,
    must_change_password: bool = True,
    now: dt.datetime,
) -> tuple[User, str]:
    """`custodesk init`: the staff organisation, its built-in roles and the first admin.

    Idempotent for the organisation and roles; refuses an existing user name.
    """
    org = Organisation.objects.filter(code=organisation_code).first()
    if org is None:
        org = Organisation.objects.create(
            code=organisation_code,
            name=organisation_name,
            kind=Organisation.Kind.STAFF,
            created_at=now,
        )
        record(
            actor=None,
            action="organisation.create",
            object_type="organisation",
            object_id=org.public_id,
            object_repr=str(org),
            after={"code": org.code, "name": org.name, "kind": org.kind},
            organisation_id=org.pk,
            organisation_code=org.code,
            now=now,
        )
    roles = _ensure_builtin_roles(org, now=now)
    user, temp = _user_create(
        actor=None,
        organisation=org,
        username=username,
        full_name=full_name,
        email="",
        phone="",
        password=password,
        must_change_password=must_change_password,
        now=now,
    )
    _grant(actor=None, user=user, role=roles["admin"], now=now, approval_request_id=None)
    return user, temp


def _ensure_builtin_roles(org: Organisation, *, now: dt.datetime) -> dict[str, Role]:
    """The built-in roles of an organisation of its kind, as the installed modules declare
    them (``roles=`` in each ``module.py``); "*" expands to every permission (outside
    staff, every one that is not staff-only: such a role could not pass them on)."""
    staff = org.kind == Organisation.Kind.STAFF
    everything = [
        p.code for p in access.all_permissions() if staff or not access.is_staff_only(p.code)
    ]
    out: dict[str, Role] = {}
    for code, (label, codes) in modules.builtin_roles(org.kind).items():
        wanted = everything if codes == ["*"] else sorted(codes)
        if not staff:
            wanted = [c for c in wanted if not access.is_staff_only(c)]
        role = Role.objects.filter(organisation=org, code=code).first()
        if role is None:
            role = Role.objects.create(
                organisation=org, code=code, name=str(label), permissions=wanted, created_at=now
            )
            record(
                actor=None,
                action="role.create",
                object_type="role",
                object_id=role.public_id,
                object_repr=role.name,
                after={"code": code, "permissions": wanted},
                organisation_id=org.pk,
                organisation_code=org.code,
                now=now,
            )
        elif code == "admin" and sorted(role.permissions) != everything:
            before = role.permissions
            role.permissions = everything
            role.save(update_fields=["permissions"])
            record(
                actor=None,
                action="role.update",
                object_type="role",
                object_id=role.public_id,
                object_repr=role.name,
                before={"permissions": before},
                after={"permissions": everything},
                organisation_id=org.pk,
                organisation_code=org.code,
                now=now,
            )
        out[code] = role
    return out


@transaction.atomic(durable=True)
def user_lock(*, actor: User | None, user_id: Any, reason: str, now: dt.datetime) -> User:
    """Lock a user's sign-in and end its sessions.  Reason required."""
    _require(actor, perms.USER_MANAGE)
    if not reason.strip():
        raise ValidationFailed.single("reason", "required", _("Give a reason."))
    user = _visible_user(actor, user_id, for_update=True)
    if actor is not None and user.pk == actor.pk:
        raise CannotActOnSelf()
    if user.status != User.Status.ACTIVE:
        raise IllegalTransition(status=user.status)
    before = _user_state(user)
    user.status = User.Status.LOCKED
    user.lock_reason = reason.strip()[:200]
    user.save(update_fields=["status", "lock_reason"])
    ended = _end_sessions(user, reason=UserSession.EndReason.USER_LOCKED, now=now, by=actor)
    record(
        actor=actor,
        action="user.lock",
        object_type="user",
        object_id=user.public_id,
        object_repr=user.username,
        before=before,
        after={**_user_state(user), "sessions_ended": ended},
        reason=reason,
        organisation_id=user.organisation_id,
        organisation_code=user.organisation.code,
        now=now,
    )
    return user


@transaction.atomic(durable=True)
def user_deactivate(*, actor: User, user_id: Any, reason: str, now: dt.datetime) -> User:
    """Deactivate a user for good: sessions end, sign-in is refused."""
    access.require(actor, perms.USER_MANAGE)
    if not reason.strip():
        raise ValidationFailed.single("reason", "required", _("Give a reason."))
    user = _visible_user(actor, user_id, for_update=True)
    if user.pk == actor.pk:
        raise CannotActOnSelf()
    if user.status == User.Status.INACTIVE:
        raise IllegalTransition(status=user.status)
    before = _user_state(user)
    user.status = User.Status.INACTIVE
    user.is_active = False
    user.save(update_fields=["status", "is_active"])
    _end_sessions(user, reason=UserSession.EndReason.USER_LOCKED, now=now, by=actor)
    record(
        actor=actor,
        action="user.deactivate",
        object_type="user",
        object_id=user.public_id,
        object_repr=user.username,
        before=before,
        after=_user_state(user),
        reason=reason,
        organisation_id=user.organisation_id,
        organisation_code=user.organisation.code,
        now=now,
    )
    return user
