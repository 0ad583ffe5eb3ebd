"""Identity and access: write services.

Each public function is one use case in one transaction, takes the acting user
and ``now``, checks permissions, and writes its operation record.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import string
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from custodesk.audit.services import record
from custodesk.core import access, context, modules
from custodesk.core.errors import FieldError, IllegalTransition, NotFound, ValidationFailed

from . import permissions as perms
from .errors import (
    CannotActOnSelf,
    InvalidCredentials,
    InvalidOtp,
    LockedOut,
    OtpRequired,
    RoleAlreadyGranted,
    RoleNotGranted,
    TotpAlreadyEnrolled,
    TotpNotStarted,
    UserInactive,
    UserLocked,
    UsernameTaken,
    WrongCurrentPassword,
)
from .models import LoginDevice, Organisation, Role, RoleGrant, User, UserSession
from .selectors import forget_cached_sessions as _forget_cached_sessions
from .selectors import token_digest
from .selectors import visible_role as _visible_role
from .selectors import visible_user as _visible_user

USERNAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9.@_-]{2,149}$")
TOKEN_PREFIX = "cdk_"  # noqa: S105 - a prefix, not a secret


# -- helpers (no transactions of their own) ------------------------------------
def _user_state(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "full_name": user.full_name,
        "email": user.email,
        "phone": user.phone,
        "status": user.status,
        "lock_reason": user.lock_reason,
        "must_change_password": user.must_change_password,
    }


def _require(actor: User | None, permission: str) -> None:
    """``actor`` None is the server operator at the CLI (``custodesk user ...``)."""
    if actor is not None:
        access.require(actor, permission)


def generate_password(length: int = 14) -> str:
    """A temporary password that passes the policy (letters and digits)."""
    alphabet = string.ascii_letters + string.digits
    while True:
        pw = "".join(secrets.choice(alphabet) for _ in range(length))
        if any(c.isdigit() for c in pw) and any(c.isalpha() for c in pw):
            return pw


def _check_password_policy(password: str, user: User | None, field_name: str) -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailed(
            FieldError(field_name, getattr(err, "code", None) or "password_policy", msg)
            for err, msg in zip(exc.error_list, exc.messages, strict=True)
        ) from None


def _end_sessions(
    user: User, *, reason: str, now: dt.datetime, by: User | None, keep: UserSession | None = None
) -> int:
    qs = UserSession.objects.filter(user=user, ended_at__isnull=True)
    if keep is not None:
        qs = qs.exclude(pk=keep.pk)
    forget_cached_sessions()
    return qs.update(ended_at=now, end_reason=reason, ended_by=by)


def forget_cached_sessions(*args: Any, **kwargs: Any) -> None:
    """This process forgets its cached API sessions now and when the transaction commits
    (a request in between could cache the old rows again).  Also a signal receiver."""
    _forget_cached_sessions()
    transaction.on_commit(_forget_cached_sessions)


# -- organisations and users ---------------------------------------------------
@transaction.atomic(durable=True)
def organisation_create(
    *, actor: User | None, code: str, name: str, kind: str, now: dt.datetime
) -> Organisation:
    """Create an organisation.  Raises ValidationFailed, PermissionDenied."""
    if actor is not None:
        access.require(actor, perms.USER_MANAGE)
    errors = []
    if not re.fullmatch(r"[A-Z0-9_-]{2,32}", code or ""):
        errors.append(FieldError("code", "pattern", _("2–32 capital letters, digits, - or _")))
    if not name.strip():
        errors.append(FieldError("name", "required", _("This field is required.")))
    if kind not in Organisation.Kind.values:
        errors.append(FieldError("kind", "choice", _("Not a valid choice.")))
    if Organisation.objects.filter(code=code).exists():
        errors.append(FieldError("code", "unique", _("This code is already used.")))
    if errors:
        raise ValidationFailed(errors)
    org = Organisation.objects.create(code=code, name=name.strip(), kind=kind, created_at=now)
    record(
        actor=actor,
        action="organisation.create",
        object_type="organisation",
        object_id=org.public_id,
        object_repr=str(org),
        after={"code": code, "name": org.name, "kind": kind},
        organisation_id=org.pk,
        organisation_code=org.code,
        now=now,
    )
    return org


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
) -> tuple[User, str]:
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
        object_repr=user.username,
        after=_user_state(user),
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
    """The built-in roles of a staff organisation, as the installed modules declare them
    (``roles=`` in each ``module.py``); "*" expands to every permission."""
    everything = [p.code for p in access.all_permissions()]
    out: dict[str, Role] = {}
    for code, (label, codes) in modules.builtin_roles().items():
        wanted = everything if codes == ["*"] else sorted(codes)
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


@transaction.atomic(durable=True)
def password_change(
    *,
    user: User,
    session: UserSession | None,
    current_password: str,
    new_password: str,
    new_password_again: str,
    now: dt.datetime,
) -> User:
    """The user changes its own password; every other session of the user ends."""
    user = User.objects.select_for_update().select_related("organisation").get(pk=user.pk)
    if not user.check_password(current_password):
        raise WrongCurrentPassword(field="current_password")
    if new_password != new_password_again:
        raise ValidationFailed.single(
            "new_password_again", "equal", _("The two new passwords are not the same.")
        )
    if new_password == current_password:
        raise ValidationFailed.single(
            "new_password", "different", _("The new password must differ from the current one.")
        )
    _check_password_policy(new_password, user, "new_password")
    user.set_password(new_password)
    was_forced = user.must_change_password
    user.must_change_password = False
    user.password_changed_at = now
    user.save(update_fields=["password", "must_change_password", "password_changed_at"])
    ended = _end_sessions(
        user, reason=UserSession.EndReason.PASSWORD_CHANGED, now=now, by=user, keep=session
    )
    record(
        actor=user,
        action="user.change_password",
        object_type="user",
        object_id=user.public_id,
        object_repr=user.username,
        before={"must_change_password": was_forced},
        after={"must_change_password": False, "other_sessions_ended": ended},
        now=now,
    )
    return user


# -- sign-in -------------------------------------------------------------------
@dataclass
class SignInOutcome:
    """What happened; the interface raises ``error`` after the attempt is committed."""

    result: str
    user: User | None = None
    session: UserSession | None = None
    token: str | None = None
    error: Exception | None = None
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.result == LoginDevice.Result.SUCCESS


def has_totp(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def _verify_otp(user: User, code: str) -> bool:
    """TOTP (each code accepted once: django-otp keeps the last time step) or recovery code."""
    code = code.strip().replace(" ", "")
    for device in TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True):
        if device.verify_token(code):
            return True
    for static in StaticDevice.objects.select_for_update().filter(user=user, confirmed=True):
        if static.verify_token(code):
            return True
    return False


@transaction.atomic(durable=True)
def sign_in(
    *,
    username: str,
    password: str,
    otp_code: str | None,
    kind: str,
    now: dt.datetime,
) -> SignInOutcome:
    """Check credentials, lockout and second factor; open a session.

    Every attempt writes a login-device record, successful or not.  Failures
    are returned (not raised) so that the failure count and the record commit.
    """
    ctx = context.current()
    user = (
        User.objects.select_for_update()
        .select_related("organisation")
        .filter(username__iexact=username.strip())
        .first()
    )
    outcome = _attempt(user, password, otp_code, kind=kind, now=now)
    if outcome.result == LoginDevice.Result.SUCCESS:
        assert user is not None
        lifetime = (
            dt.timedelta(minutes=settings.CUSTODESK_SESSION_IDLE_MINUTES)
            if kind == UserSession.Kind.CONSOLE
            else dt.timedelta(hours=settings.CUSTODESK_API_TOKEN_HOURS)
        )
        token = None
        digest = None
        if kind == UserSession.Kind.API:
            token = TOKEN_PREFIX + secrets.token_urlsafe(32)
            digest = token_digest(token)
        session = UserSession.objects.create(
            user=user,
            kind=kind,
            token_hash=digest,
            token_prefix=token[:10] if token else "",
            ip=ctx.ip or "",
            user_agent=ctx.user_agent,
            device_id=ctx.device_id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetime,
        )
        outcome.session = session
        outcome.token = token
    LoginDevice.objects.create(
        user=user,
        organisation_id_snapshot=user.organisation_id if user else None,
        username=username[:150],
        at=now,
        channel=kind,
        ip=ctx.ip or "",
        user_agent=ctx.user_agent,
        device_id=ctx.device_id,
        result=outcome.result,
        session=outcome.session,
    )
    return outcome


def _attempt(
    user: User | None, password: str, otp_code: str | None, *, kind: str, now: dt.datetime
) -> SignInOutcome:
    R = LoginDevice.Result
    if user is None:
        # Same answer as a wrong password: user names are not enumerable.
        User().set_password(password)  # spend the same time as a real check
        return SignInOutcome(R.UNKNOWN_USER, error=InvalidCredentials())
    if user.lockout_until is not None:
        if user.lockout_until > now:
            return SignInOutcome(
                R.LOCKED_OUT, user, error=LockedOut(until=user.lockout_until.isoformat())
            )
        user.lockout_until = None
        user.failed_logins = 0
        user.save(update_fields=["lockout_until", "failed_logins"])
    if not user.check_password(password):
        return _failed(user, R.BAD_PASSWORD, InvalidCredentials(), now=now)
    if user.status == User.Status.INACTIVE:
        return SignInOutcome(R.INACTIVE, user, error=UserInactive())
    if user.status == User.Status.LOCKED:
        return SignInOutcome(R.LOCKED, user, error=UserLocked())
    if has_totp(user):
        if not otp_code:
            return SignInOutcome(R.OTP_REQUIRED, user, error=OtpRequired())
        if not _verify_otp(user, otp_code):
            return _failed(user, R.BAD_OTP, InvalidOtp(field="otp_code"), now=now)
    if user.failed_logins:
        user.failed_logins = 0
        user.save(update_fields=["failed_logins"])
    return SignInOutcome(R.SUCCESS, user)


def _failed(user: User, result: str, error: Exception, *, now: dt.datetime) -> SignInOutcome:
    user.failed_logins += 1
    fields = ["failed_logins"]
    if user.failed_logins >= settings.CUSTODESK_LOCKOUT_THRESHOLD:
        user.lockout_until = now + dt.timedelta(minutes=settings.CUSTODESK_LOCKOUT_MINUTES)
        user.failed_logins = 0
        fields.append("lockout_until")
        record(
            actor=None,
            action="user.locked_out",
            object_type="user",
            object_id=user.public_id,
            object_repr=user.username,
            after={"lockout_until": user.lockout_until},
            reason=f"{settings.CUSTODESK_LOCKOUT_THRESHOLD} consecutive failed sign-ins",
            organisation_id=user.organisation_id,
            organisation_code=user.organisation.code,
            now=now,
        )
    user.save(update_fields=fields)
    return SignInOutcome(result, user, error=error)


@transaction.atomic(durable=True)
def sign_out(*, session: UserSession, now: dt.datetime) -> None:
    forget_cached_sessions()
    UserSession.objects.filter(pk=session.pk, ended_at__isnull=True).update(
        ended_at=now, end_reason=UserSession.EndReason.SIGNED_OUT, ended_by=session.user_id
    )


@transaction.atomic(durable=True)
def session_touch(*, session_id: int, now: dt.datetime) -> None:
    """Slide a console session's idle expiry (called at most once a minute per session)."""
    idle = dt.timedelta(minutes=settings.CUSTODESK_SESSION_IDLE_MINUTES)
    UserSession.objects.filter(
        pk=session_id, ended_at__isnull=True, kind=UserSession.Kind.CONSOLE
    ).update(last_seen_at=now, expires_at=now + idle)


@transaction.atomic(durable=True)
def session_force_logout(*, actor: User, session_id: Any, now: dt.datetime) -> UserSession:
    """End one session.  Users may end their own; others need the permission."""
    session = (
        UserSession.objects.select_for_update()
        .select_related("user__organisation")
        .filter(public_id=session_id)
        .first()
    )
    if session is None or not actor.sees_organisation(session.user.organisation_id):
        raise NotFound(object="session")
    if session.user_id != actor.pk:
        access.require(actor, perms.SESSION_FORCE_LOGOUT)
    if session.ended_at is not None:
        raise IllegalTransition(status="ended")
    session.ended_at = now
    session.end_reason = UserSession.EndReason.FORCED
    session.ended_by = actor
    session.save(update_fields=["ended_at", "end_reason", "ended_by"])
    record(
        actor=actor,
        action="session.force_logout",
        object_type="session",
        object_id=session.public_id,
        object_repr=f"{session.user.username} {session.kind} {session.ip}",
        before={"ended_at": None},
        after={"ended_at": now, "end_reason": session.end_reason},
        organisation_id=session.user.organisation_id,
        organisation_code=session.user.organisation.code,
        now=now,
    )
    return session


@transaction.atomic(durable=True)
def sessions_force_logout_all(
    *, actor: User, user_id: Any, keep: UserSession | None = None, now: dt.datetime
) -> int:
    """End every live session of a user (keeping the caller's own, when it is that user)."""
    user = _visible_user(actor, user_id, for_update=True)
    if user.pk != actor.pk:
        access.require(actor, perms.SESSION_FORCE_LOGOUT)
    ended = _end_sessions(
        user,
        reason=UserSession.EndReason.FORCED,
        now=now,
        by=actor,
        keep=keep if user.pk == actor.pk else None,
    )
    record(
        actor=actor,
        action="session.force_logout_all",
        object_type="user",
        object_id=user.public_id,
        object_repr=user.username,
        after={"sessions_ended": ended},
        organisation_id=user.organisation_id,
        organisation_code=user.organisation.code,
        now=now,
    )
    return ended


# -- second factor -------------------------------------------------------------
@transaction.atomic(durable=True)
def totp_begin(*, user: User, now: dt.datetime) -> TOTPDevice:
    """Start (or restart) enrolment: a new unconfirmed device with a fresh secret."""
    if has_totp(user):
        raise TotpAlreadyEnrolled()
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    record(
        actor=user,
        action="totp.enrolment_started",
        object_type="user",
        object_id=user.public_id,
        object_repr=user.username,
        now=now,
    )
    return device


@transaction.atomic(durable=True)
def totp_confirm(*, user: User, code: str, now: dt.datetime) -> list[str]:
    """Confirm enrolment with a first code; returns ten single-use recovery codes."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
    if device is None:
        raise TotpAlreadyEnrolled() if has_totp(user) else TotpNotStarted()
    if not device.verify_token((code or "").strip()):
        raise InvalidOtp(field="code")
    device.confirmed = True
    device.save()
    StaticDevice.objects.filter(user=user).delete()
    static = StaticDevice.objects.create(user=user, name="recovery", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(10)]
    StaticToken.objects.bulk_create([StaticToken(device=static, token=c) for c in codes])
    record(
        actor=user,
        action="totp.enrolled",
        object_type="user",
        object_id=user.public_id,
        object_repr=user.username,
        after={"totp": True, "recovery_codes": len(codes)},
        now=now,
    )
    return codes


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
) -> RoleGrant:
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
        object_repr=f"{user.username} ← {role.code}",
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
