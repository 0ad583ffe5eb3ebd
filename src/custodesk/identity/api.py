"""Identity and access API: sign-in, password, TOTP, sessions, users, roles, login devices."""

import base64
from typing import Annotated, Any
from uuid import UUID

import segno
from django.http import HttpRequest, StreamingHttpResponse
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from custodesk.approvals import services as approval_services
from custodesk.approvals.presenters import submitted_body
from custodesk.approvals.schemas import SubmittedOut
from custodesk.core import access, clock
from custodesk.core.apiauth import BearerAuth, actor, auth, auth_forced
from custodesk.core.schema_types import Code, Day, OneOf, Pages, QueryBool, Text

from . import captcha, exports, governance, selectors, services
from .approvals import ROLE_GRANT, ROLE_REVOKE
from .models import LoginDevice, SecurityEvent, User, UserSession
from .schemas import (
    CaptchaOut,
    CodeIn,
    CountOut,
    DualAdminIn,
    GrantIn,
    GrantOut,
    LoginDeviceOut,
    MeOut,
    OptionalReasonIn,
    PasswordChangeIn,
    PermissionOut,
    PermissionsIn,
    RecoveryCodesOut,
    RoleCreateIn,
    RoleOut,
    SecurityEventOut,
    SessionOut,
    SignInIn,
    SignInOut,
    TotpBeginOut,
    UserCreatedOut,
    UserCreateIn,
    UsernameChangeIn,
    UserOut,
    UserReasonIn,
    UserStatus,
)

router = Router(auth=auth)


def me_payload(user: User) -> dict[str, Any]:
    return {
        "public_id": user.public_id,
        "username": user.username,
        "full_name": user.full_name,
        "email": user.email,
        "status": user.status,
        "must_change_password": user.must_change_password,
        "organisation": user.organisation,
        "roles": user.role_codes(),
        "permissions": sorted(user.permission_codes()),
        "totp_enrolled": services.has_totp(user),
        "second_factor_enrolment_required": services.needs_totp_enrolment(user),
    }


def _session(request: HttpRequest) -> UserSession:
    return request.auth  # type: ignore[attr-defined]


# -- sign-in and self-service --------------------------------------------------
@router.get("/auth/captcha", auth=None, response=CaptchaOut, tags=["auth"])
def new_captcha(request: HttpRequest) -> dict[str, str]:
    """A new sign-in captcha: its key and the URL of its image (PNG, 5 characters,
    good for one answer within 5 minutes).  Sign-in asks for one (`captcha_required`)
    after a refused attempt for the user name within the lockout window."""
    key = captcha.new_key()
    return {"key": key, "image_url": request.build_absolute_uri(captcha.image_url(key))}


@router.post("/auth/sign-in", auth=None, response=SignInOut, tags=["auth"])
def sign_in(request: HttpRequest, payload: SignInIn) -> dict[str, Any]:
    """Exchange user name + password (+ the second factor) for a bearer token.

    **Captcha**: after a refused attempt for a user name (any: unknown names are
    counted alike) within the lockout window (15 minutes), the next attempt must bring
    `captcha_key` (from `GET /auth/captcha`) and `captcha_value`; without it the answer
    is 401 `captcha_required`, with a wrong or used one 401 `captcha_invalid` (field
    `captcha_value`; the captcha is used up by any answer) — nothing else is done or
    recorded.  Every refused attempt's problem says `"captcha_required": true`.

    **Second factor** (the organisation's): an enrolled authenticator — `otp_code` is
    the TOTP or a recovery code (`otp_required` with `"second_factor": "totp"` when
    missing); SMS — the first call (user name, password) sends a 6-digit code to the
    user's phone and answers 401 `otp_required` with `"second_factor": "sms"`,
    `challenge_id` and `phone_hint`; the second call repeats user name and password
    with `challenge_id` and the code as `otp_code` (wrong: 422
    `verification_code_invalid` naming the rule — `code_invalid`, `code_expired`,
    `code_used`, `code_attempts_exceeded`).  An organisation that requires an
    authenticator lets a user without one sign in with the password, and then only
    the password change and `POST /me/totp` answer (403
    `second_factor_enrolment_required` elsewhere) until it is enrolled.

    Errors: `invalid_credentials` (401: unknown user, wrong password, and also any
    attempt while the user is locked out — the answer does not tell which),
    `user_locked`, `user_inactive`, `otp_required`, `invalid_otp`.  Five consecutive
    failures (wrong password or code, or wrong current password on a password change)
    lock the user out for 15 minutes.  The answer carries a token:
    `Cache-Control: no-store`.
    """
    outcome = services.sign_in(
        username=payload.username,
        password=payload.password,
        otp_code=payload.otp_code,
        challenge_id=str(payload.challenge_id) if payload.challenge_id else None,
        captcha_key=payload.captcha_key,
        captcha_value=payload.captcha_value,
        kind=UserSession.Kind.API,
        now=clock.now(),
    )
    if not outcome.ok:
        assert outcome.error is not None
        raise outcome.error
    assert outcome.session is not None and outcome.user is not None
    return {
        "token": outcome.token,
        "expires_at": outcome.session.expires_at,
        "session_id": outcome.session.public_id,
        "must_change_password": outcome.user.must_change_password,
        "second_factor_enrolment_required": services.needs_totp_enrolment(outcome.user),
        "user": me_payload(outcome.user),
    }


@router.post("/auth/sign-out", auth=auth_forced, response={204: None}, tags=["auth"])
def sign_out(request: HttpRequest) -> tuple[int, None]:
    services.sign_out(session=_session(request), now=clock.now())
    return 204, None


@router.post("/auth/password", auth=auth_forced, response=MeOut, tags=["auth"])
def change_password(request: HttpRequest, payload: PasswordChangeIn) -> dict[str, Any]:
    """Change the caller's password (required after first sign-in). Ends the other sessions.

    A wrong `current_password` (422 `wrong_current_password`) counts toward the sign-in
    lockout; the one that starts it answers 423 `locked_out` and ends every session of
    the user, this token's included."""
    user = services.password_change(
        user=actor(request),
        session=_session(request),
        current_password=payload.current_password,
        new_password=payload.new_password,
        new_password_again=payload.new_password_again,
        now=clock.now(),
    )
    return me_payload(user)


@router.post("/me/username", response=MeOut, tags=["auth"])
def change_username(request: HttpRequest, payload: UsernameChangeIn) -> dict[str, Any]:
    """Change the caller's login name (SELF-CRED): 4–32 characters, not starting with a
    digit, letters, digits, `.`, `@`, `-`, `_` only, nobody else's in any case; typed
    twice; the current password confirms it (a wrong one counts toward the sign-in
    lockout, as on a password change).  422 names the field and the rule (`pattern`,
    `unique`, `unchanged`, `mismatch`)."""
    user = services.username_change(
        user=actor(request),
        new_username=payload.new_username,
        new_username_again=payload.new_username_again,
        current_password=payload.current_password,
        now=clock.now(),
    )
    return me_payload(user)


@router.get("/me", auth=auth_forced, response=MeOut, tags=["auth"])
def me(request: HttpRequest) -> dict[str, Any]:
    return me_payload(actor(request))


class EnrolmentAuth(BearerAuth):
    """The authenticator enrolment stays open to a user whose organisation requires an
    authenticator it has not enrolled yet (``identity.apiauth``)."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        request.custodesk_enrolling = True  # type: ignore[attr-defined]
        return super().authenticate(request, token)


auth_enrol = EnrolmentAuth()


@router.post("/me/totp", auth=auth_enrol, response=TotpBeginOut, tags=["auth"])
def totp_begin(request: HttpRequest) -> dict[str, Any]:
    """Start authenticator enrolment: returns the secret, otpauth URI and a QR code."""
    device = services.totp_begin(user=actor(request), now=clock.now())
    uri = device.config_url
    return {
        "secret": base64.b32encode(device.bin_key).decode(),
        "otpauth_uri": uri,
        "qr_svg": segno.make(uri, error="m").svg_data_uri(scale=4),
    }


@router.post("/me/totp/confirm", auth=auth_enrol, response=RecoveryCodesOut, tags=["auth"])
def totp_confirm(request: HttpRequest, payload: CodeIn) -> dict[str, Any]:
    """Confirm with a first code; returns ten single-use recovery codes (shown once)."""
    codes = services.totp_confirm(user=actor(request), code=payload.code, now=clock.now())
    return {"recovery_codes": codes}


@router.get("/me/sessions", response=list[SessionOut], tags=["sessions"])
def my_sessions(request: HttpRequest) -> list[dict[str, Any]]:
    user = actor(request)
    current = _session(request)
    return [
        _session_out(s, current)
        for s in selectors.session_list(actor=user, user=user, now=clock.now())
    ]


def _session_out(s: UserSession, current: UserSession | None) -> dict[str, Any]:
    return {
        "public_id": s.public_id,
        "username": s.user.username,
        "kind": s.kind,
        "ip": s.ip,
        "user_agent": s.user_agent,
        "device_id": s.device_id,
        "created_at": s.created_at,
        "last_seen_at": s.last_seen_at,
        "expires_at": s.expires_at,
        "ended_at": s.ended_at,
        "end_reason": s.end_reason,
        "current": current is not None and s.pk == current.pk,
    }


# -- users ---------------------------------------------------------------------
class UserFilters(Schema):
    q: Text | None = Field(None, max_length=100)
    status: UserStatus | None = None
    role: Code | None = Field(None, max_length=64)
    organisation: Code | None = Field(None, max_length=32)


@router.get("/users", response=list[UserOut], tags=["users"])
@paginate(Pages, page_size=50)
def list_users(request: HttpRequest, filters: Query[UserFilters]) -> Any:
    return selectors.user_list(actor=actor(request), filters=filters.dict(exclude_none=True))


@router.post("/users", response={201: UserCreatedOut}, tags=["users"])
def create_user(request: HttpRequest, payload: UserCreateIn) -> tuple[int, dict[str, Any]]:
    """Create a user; the temporary password is returned once, to be changed at first sign-in."""
    user, temp = services.user_create(
        actor=actor(request),
        organisation_id=payload.organisation_id,
        username=payload.username,
        full_name=payload.full_name,
        email=payload.email,
        phone=payload.phone,
        password=payload.password,
        now=clock.now(),
    )
    return 201, {"user": user, "temporary_password": temp}


@router.get("/users/{user_id}", response=UserOut, tags=["users"])
def get_user(request: HttpRequest, user_id: UUID) -> User:
    return selectors.user_get(actor=actor(request), public_id=user_id)


@router.post("/users/{user_id}/lock", response=UserOut, tags=["users"])
def lock_user(request: HttpRequest, user_id: UUID, payload: UserReasonIn) -> User:
    return services.user_lock(
        actor=actor(request), user_id=user_id, reason=payload.reason, now=clock.now()
    )


def _submit(
    request: HttpRequest,
    action_type: str,
    payload: dict[str, Any],
    *,
    done: int = 200,
    comment: str = "",
) -> tuple[int, dict[str, Any]]:
    """Submit a governance action: ``done`` when applied at once, 202 when it waits for a
    second administrator (dual-admin mode)."""
    sub = approval_services.submit(
        actor=actor(request),
        action_type=action_type,
        payload=payload,
        comment=comment,
        now=clock.now(),
    )
    return (done if sub.executed else 202), submitted_body(sub)


@router.post(
    "/users/{user_id}/unlock", response={200: SubmittedOut, 202: SubmittedOut}, tags=["users"]
)
def unlock_user(
    request: HttpRequest,
    user_id: UUID,
    payload: OptionalReasonIn | None = None,
) -> tuple[int, dict[str, Any]]:
    """Unlock a user (approvable: a second administrator in dual-admin mode)."""
    reason = payload.reason if payload else ""
    return _submit(
        request,
        governance.USER_UNLOCK,
        {"user_id": str(user_id), "reason": reason},
        comment=reason,
    )


@router.post("/users/{user_id}/deactivate", response=UserOut, tags=["users"])
def deactivate_user(request: HttpRequest, user_id: UUID, payload: UserReasonIn) -> User:
    return services.user_deactivate(
        actor=actor(request), user_id=user_id, reason=payload.reason, now=clock.now()
    )


@router.post(
    "/users/{user_id}/reset-password",
    response={200: SubmittedOut, 202: SubmittedOut},
    tags=["users"],
)
def reset_password(request: HttpRequest, user_id: UUID) -> tuple[int, dict[str, Any]]:
    """Reset a user's password (approvable).  The temporary password goes to the user
    through the outbox (e-mail, else SMS): no administrator ever sees it.  422
    ``no_contact`` when the user has neither."""
    return _submit(request, governance.USER_RESET_PASSWORD, {"user_id": str(user_id)})


@router.delete(
    "/users/{user_id}/totp", response={200: SubmittedOut, 202: SubmittedOut}, tags=["users"]
)
def remove_totp(
    request: HttpRequest, user_id: UUID, payload: UserReasonIn
) -> tuple[int, dict[str, Any]]:
    """Remove a user's authenticator (lost phone; approvable, reason required)."""
    return _submit(
        request,
        governance.TOTP_REMOVE,
        {"user_id": str(user_id), "reason": payload.reason},
        comment=payload.reason,
    )


@router.get("/users/{user_id}/sessions", response=list[SessionOut], tags=["sessions"])
def user_sessions(request: HttpRequest, user_id: UUID) -> list[dict[str, Any]]:
    user = selectors.user_get(actor=actor(request), public_id=user_id)
    return [
        _session_out(s, _session(request))
        for s in selectors.session_list(actor=actor(request), user=user, now=clock.now())
    ]


@router.post("/users/{user_id}/force-logout", response=CountOut, tags=["sessions"])
def force_logout_all(request: HttpRequest, user_id: UUID) -> dict[str, int]:
    """End every live session and API token of the user (the caller's own is kept)."""
    ended = services.sessions_force_logout_all(
        actor=actor(request), user_id=user_id, keep=_session(request), now=clock.now()
    )
    return {"ended": ended}


@router.get("/sessions", response=list[SessionOut], tags=["sessions"])
def all_sessions(
    request: HttpRequest, limit: Annotated[int, Field(ge=1, le=1000)] = 200
) -> list[dict[str, Any]]:
    """Live sessions of every visible user, most recently active first."""
    sessions = selectors.session_list(actor=actor(request), now=clock.now())[:limit]
    return [_session_out(s, _session(request)) for s in sessions]


@router.post("/sessions/{session_id}/force-logout", response=SessionOut, tags=["sessions"])
def force_logout(request: HttpRequest, session_id: UUID) -> dict[str, Any]:
    session = services.session_force_logout(
        actor=actor(request), session_id=session_id, now=clock.now()
    )
    return _session_out(session, _session(request))


# -- roles ---------------------------------------------------------------------
@router.get("/permissions", response=list[PermissionOut], tags=["roles"])
def list_permissions(request: HttpRequest) -> list[dict[str, str]]:
    return [
        {"code": p.code, "label": str(p.label), "group": str(p.group)}
        for p in access.all_permissions()
    ]


@router.get("/roles", response=list[RoleOut], tags=["roles"])
def list_roles(request: HttpRequest) -> Any:
    return selectors.role_list(actor=actor(request))


@router.post("/roles", response={201: SubmittedOut, 202: SubmittedOut}, tags=["roles"])
def create_role(request: HttpRequest, payload: RoleCreateIn) -> tuple[int, dict[str, Any]]:
    """Define a role (approvable); ``result.role_id`` once created."""
    body = {
        "code": payload.code,
        "name": payload.name,
        "description": payload.description,
        "permissions": payload.permissions,
    }
    return _submit(request, governance.ROLE_CREATE, body, done=201)


@router.put(
    "/roles/{role_id}/permissions",
    response={200: SubmittedOut, 202: SubmittedOut},
    tags=["roles"],
)
def set_role_permissions(
    request: HttpRequest, role_id: UUID, payload: PermissionsIn
) -> tuple[int, dict[str, Any]]:
    """Replace a role's permissions (approvable; the built-in admin role is fixed)."""
    return _submit(
        request,
        governance.ROLE_SET_PERMISSIONS,
        {"role_id": str(role_id), "permissions": payload.permissions},
    )


@router.delete("/roles/{role_id}", response={200: SubmittedOut, 202: SubmittedOut}, tags=["roles"])
def delete_role(request: HttpRequest, role_id: UUID) -> tuple[int, dict[str, Any]]:
    """Remove (retire) a role nobody holds any more (approvable)."""
    return _submit(request, governance.ROLE_DELETE, {"role_id": str(role_id)})


@router.put(
    "/organisations/{organisation_id}/dual-admin",
    response={200: SubmittedOut, 202: SubmittedOut},
    tags=["roles"],
)
def set_dual_admin(
    request: HttpRequest, organisation_id: UUID, payload: DualAdminIn
) -> tuple[int, dict[str, Any]]:
    """Switch dual-admin mode (approvable: switching it off needs the second administrator)."""
    return _submit(
        request,
        governance.DUAL_ADMIN,
        {"organisation_id": str(organisation_id), "enabled": payload.enabled},
    )


def _grant_out(grant: Any) -> dict[str, Any]:
    return {
        "public_id": grant.public_id,
        "role": grant.role,
        "granted_at": grant.granted_at,
        "granted_by": grant.granted_by.username if grant.granted_by else None,
        "approval_request_id": grant.approval_request_id,
        "revoked_at": grant.revoked_at,
    }


@router.get("/users/{user_id}/roles", response=list[GrantOut], tags=["roles"])
def user_roles(request: HttpRequest, user_id: UUID, include_revoked: QueryBool = False) -> Any:
    user = selectors.user_get(actor=actor(request), public_id=user_id)
    return [
        _grant_out(g)
        for g in selectors.user_grants(
            actor=actor(request), user=user, include_revoked=include_revoked
        )
    ]


@router.post(
    "/users/{user_id}/roles",
    response={201: SubmittedOut, 202: SubmittedOut},
    tags=["roles"],
)
def grant_role(request: HttpRequest, user_id: UUID, payload: GrantIn) -> tuple[int, Any]:
    """Grant a role (MENU-ACL).  201 when applied at once (single-admin mode / auto flow);
    202 with the approval request when a second administrator must approve."""
    sub = approval_services.submit(
        actor=actor(request),
        action_type=ROLE_GRANT,
        payload={"user_id": str(user_id), "role_id": str(payload.role_id)},
        now=clock.now(),
    )
    return (201 if sub.executed else 202), submitted_body(sub)


@router.delete(
    "/users/{user_id}/roles/{role_id}",
    response={200: SubmittedOut, 202: SubmittedOut},
    tags=["roles"],
)
def revoke_role(request: HttpRequest, user_id: UUID, role_id: UUID) -> tuple[int, Any]:
    """Revoke a role; like grants, it may need a second administrator's approval."""
    sub = approval_services.submit(
        actor=actor(request),
        action_type=ROLE_REVOKE,
        payload={"user_id": str(user_id), "role_id": str(role_id)},
        now=clock.now(),
    )
    return (200 if sub.executed else 202), submitted_body(sub)


# -- login devices -------------------------------------------------------------
class LoginDeviceFilters(Schema):
    username: Text | None = Field(None, max_length=150)
    result: Annotated[str, OneOf(LoginDevice.Result)] | None = None
    ip: Code | None = Field(None, max_length=64)
    device_id: Code | None = Field(None, max_length=64)
    channel: Annotated[str, OneOf(UserSession.Kind)] | None = None
    date_from: Day | None = None
    date_to: Day | None = None


@router.get("/login-devices", response=list[LoginDeviceOut], tags=["sessions"])
@paginate(Pages, page_size=50)
def login_devices(request: HttpRequest, filters: Query[LoginDeviceFilters]) -> Any:
    """Every sign-in attempt (successful or not) with IP, user agent and device id."""
    return selectors.login_device_list(
        actor=actor(request), filters=filters.dict(exclude_none=True)
    )


@router.get("/login-devices/export", response={200: None}, tags=["sessions"])
def export_login_devices(
    request: HttpRequest, filters: Query[LoginDeviceFilters], format: str = "csv"
) -> StreamingHttpResponse:
    """The filtered sign-in attempts as CSV (`format=csv`) or XLSX (`format=xlsx`)."""
    rows = selectors.login_device_list(
        actor=actor(request), filters=filters.dict(exclude_none=True)
    )
    return exports.login_devices(rows[: exports.EXPORT_LIMIT].iterator(), format)


# -- security events -----------------------------------------------------------
class SecurityEventFilters(Schema):
    username: Text | None = Field(None, max_length=150)
    reason: Annotated[str, OneOf(SecurityEvent.Reason)] | None = None
    ip: Code | None = Field(None, max_length=64)
    device_id: Code | None = Field(None, max_length=64)
    channel: Code | None = Field(None, max_length=16)
    route: Text | None = Field(None, max_length=200)
    date_from: Day | None = None
    date_to: Day | None = None


@router.get("/security-events", response=list[SecurityEventOut], tags=["sessions"])
@paginate(Pages, page_size=50)
def security_events(request: HttpRequest, filters: Query[SecurityEventFilters]) -> Any:
    """Refused attempts, newest first: failed and locked-out sign-ins, wrong second-factor
    codes and current passwords, requests refused for want of a permission (403) — with
    user, IP, device, route and reason (`detail`: the missing permission)."""
    return selectors.security_event_list(
        actor=actor(request), filters=filters.dict(exclude_none=True)
    )


@router.get("/security-events/export", response={200: None}, tags=["sessions"])
def export_security_events(
    request: HttpRequest, filters: Query[SecurityEventFilters], format: str = "csv"
) -> StreamingHttpResponse:
    """The filtered security events as CSV (`format=csv`) or XLSX (`format=xlsx`)."""
    rows = selectors.security_event_list(
        actor=actor(request), filters=filters.dict(exclude_none=True)
    )
    return exports.security_events(rows[: exports.EXPORT_LIMIT].iterator(), format)
