"""The client's login to the broker's client app: credentials, lock/unlock, password
reset, and the sign-in the app calls (``POST /api/v1/client-app/sign-in``).

Passwords are Django password hashes (Argon2id, ``PASSWORD_HASHERS``); a new or reset
password is random, sent to the client through the outbox only (SMS to the client's
phone, else e-mail; the login name by e-mail too), never shown to staff, never in an
audit row, and must be changed at the next sign-in.  Five wrong passwords in a row lock
the login out for 15 minutes.  A frozen or closed client, or a login locked by staff,
cannot sign in.  Every attempt is kept as a :class:`ClientLoginDevice` (time, IP,
device model, OS, app version, result).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import string
from dataclasses import dataclass
from uuid import UUID

from django.contrib.auth.hashers import check_password, make_password
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from custodesk.core import access
from custodesk.core.errors import DomainError, FieldError, ValidationFailed
from custodesk.identity.models import User
from custodesk.notify import services as notify

from .. import permissions as perms
from ..errors import (
    AppLoginExists,
    AppLoginLocked,
    ClientClosed,
    ClientFrozen,
    ClientNotActive,
    InvalidTransition,
    SignInRefused,
)
from ..models import Client, ClientAppLogin, ClientAppSession, ClientLoginDevice
from .clients import audit_client, get_client
from .security import _reason

MAX_FAILURES = 5
LOCKOUT = dt.timedelta(minutes=15)
SESSION_TTL = dt.timedelta(hours=24)
LOGIN_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9._@-]{3,63}")
_DUMMY_HASH = make_password("not-a-real-password-0")


def generate_password(length: int = 12) -> str:
    """Random, at least one capital, one small letter and one digit (the app's rule)."""
    pools = (string.ascii_uppercase, string.ascii_lowercase, string.digits)
    alphabet = "".join(pools).translate(str.maketrans("", "", "O0Il1"))
    while True:
        pw = "".join(secrets.choice(alphabet) for _ in range(length))
        if all(any(c in pool for c in pw) for pool in pools):
            return pw


def check_password_rule(password: str, field: str = "new_password") -> None:
    if (
        len(password) < 8
        or len(password) > 128
        or not re.search(r"[A-Z]", password)
        or not re.search(r"[a-z]", password)
        or not re.search(r"[0-9]", password)
    ):
        raise ValidationFailed.single(
            field,
            "password_rule",
            _("At least 8 characters with capitals, small letters and digits."),
        )


def _send_password(c: Client, login: ClientAppLogin, password: str, now: dt.datetime) -> None:
    if not c.phone and not c.email:
        raise ValidationFailed.single(
            "client", "no_contact", _("The client has no phone or e-mail to send a password to.")
        )
    channel, recipient = ("sms", c.phone) if c.phone else ("email", c.email)
    notify.enqueue(
        channel=channel,
        template="brokerage.app_password",
        recipient=recipient,
        context={"login_name": login.login_name},
        secrets={"password": password},
        now=now,
    )
    if c.phone and c.email:
        notify.enqueue(
            channel="email",
            template="brokerage.app_login_name",
            recipient=c.email,
            context={"login_name": login.login_name},
            now=now,
        )


def login_state(login: ClientAppLogin, now: dt.datetime) -> str:
    if login.status != ClientAppLogin.Status.ACTIVE:
        return login.status
    if login.lockout_until and login.lockout_until > now:
        return "locked_out"
    return "active"


def _login_of(client_id: UUID | str) -> tuple[Client, ClientAppLogin]:
    c = get_client(client_id)
    login = ClientAppLogin.objects.select_for_update().filter(client=c).first()
    if login is None or login.status == ClientAppLogin.Status.CLOSED:
        raise ClientNotActive(detail=_("The client has no app login."), state=c.status)
    return c, login


def _audit(
    c: Client,
    login: ClientAppLogin,
    *,
    actor: User,
    action: str,
    before: str,
    reason: str,
    now: dt.datetime,
) -> None:
    audit_client(
        c,
        actor=actor,
        action=action,
        before={"app_login": before},
        after={"app_login": login_state(login, now), "login_name": login.login_name},
        reason=reason,
        now=now,
    )


@transaction.atomic(durable=True)
def app_login_create(
    *, actor: User, client_id: UUID | str, login_name: str, now: dt.datetime
) -> ClientAppLogin:
    """Give a client an app login; a random password goes to the client.  Raises
    ValidationFailed (login name pattern/unique, no contact), AppLoginExists,
    ClientNotActive, NotFound, PermissionDenied."""
    access.require(actor, perms.APP_LOGIN_MANAGE)
    name = (login_name or "").strip()
    if not LOGIN_NAME_RE.fullmatch(name):
        raise ValidationFailed.single(
            "login_name",
            "pattern",
            _("4–64 characters: a letter, then letters, digits, '.', '_', '@' or '-'."),
        )
    c = get_client(client_id, lock=True)
    if c.status == Client.Status.CLOSED:
        raise ClientNotActive(state=c.status)
    if ClientAppLogin.objects.filter(client=c).exists():
        raise AppLoginExists()
    password = generate_password()
    login = ClientAppLogin(
        client=c,
        login_name=name,
        password=make_password(password),
        must_change_password=True,
        created_at=now,
    )
    try:
        with transaction.atomic():
            login.save(force_insert=True)
    except IntegrityError:
        raise ValidationFailed.single(
            "login_name", "unique", _("This login name is already used.")
        ) from None
    _send_password(c, login, password, now)
    _audit(
        c,
        login,
        actor=actor,
        action="brokerage.app_login.create",
        before="none",
        reason="",
        now=now,
    )
    return login


@transaction.atomic(durable=True)
def app_login_reset_password(
    *, actor: User, client_id: UUID | str, reason: str, now: dt.datetime
) -> ClientAppLogin:
    """A new random password for the client (sent through the outbox; must be changed
    at the next sign-in); the failure counter and lockout are cleared, app sessions end.
    Raises ValidationFailed (reason, no contact), ClientNotActive, NotFound,
    PermissionDenied."""
    access.require(actor, perms.APP_LOGIN_MANAGE)
    text = _reason(reason)
    c, login = _login_of(client_id)
    before = login_state(login, now)
    password = generate_password()
    login.password = make_password(password)
    login.must_change_password = True
    login.failed_count, login.lockout_until = 0, None
    login.save()
    ClientAppSession.objects.filter(login=login, ended_at__isnull=True).update(ended_at=now)
    _send_password(c, login, password, now)
    _audit(
        c,
        login,
        actor=actor,
        action="brokerage.app_login.reset_password",
        before=before,
        reason=text,
        now=now,
    )
    return login


@transaction.atomic(durable=True)
def app_login_lock(
    *, actor: User, client_id: UUID | str, reason: str, now: dt.datetime
) -> ClientAppLogin:
    """Lock the app login (active → locked); its sessions end.  Raises
    InvalidTransition, ValidationFailed, ClientNotActive, NotFound, PermissionDenied."""
    access.require(actor, perms.SECURITY_ACTION)
    text = _reason(reason)
    c, login = _login_of(client_id)
    before = login_state(login, now)
    if login.status != ClientAppLogin.Status.ACTIVE:
        raise InvalidTransition(action="lock", from_state=before, to_state="locked")
    login.status, login.lock_reason = ClientAppLogin.Status.LOCKED, text
    login.save(update_fields=["status", "lock_reason"])
    ClientAppSession.objects.filter(login=login, ended_at__isnull=True).update(ended_at=now)
    _audit(
        c,
        login,
        actor=actor,
        action="brokerage.app_login.lock",
        before=before,
        reason=text,
        now=now,
    )
    return login


@transaction.atomic(durable=True)
def app_login_unlock(
    *, actor: User, client_id: UUID | str, reason: str, now: dt.datetime
) -> ClientAppLogin:
    """Unlock a login locked by staff or locked out by wrong passwords (解鎖密碼: the
    failure counter is reset).  Raises InvalidTransition (nothing to unlock),
    ValidationFailed, ClientNotActive, NotFound, PermissionDenied."""
    access.require(actor, perms.SECURITY_ACTION)
    text = _reason(reason)
    c, login = _login_of(client_id)
    before = login_state(login, now)
    if before == "active" and not login.failed_count:
        raise InvalidTransition(action="unlock", from_state=before, to_state="active")
    login.status, login.lock_reason = ClientAppLogin.Status.ACTIVE, ""
    login.failed_count, login.lockout_until = 0, None
    login.save(update_fields=["status", "lock_reason", "failed_count", "lockout_until"])
    _audit(
        c,
        login,
        actor=actor,
        action="brokerage.app_login.unlock",
        before=before,
        reason=text,
        now=now,
    )
    return login


# -- the client app's side --------------------------------------------------------
@dataclass(frozen=True)
class Device:
    ip: str = ""
    device_id: str = ""
    device_model: str = ""
    os: str = ""
    app_version: str = ""


@dataclass
class SignInOutcome:
    ok: bool
    error: DomainError | None = None
    token: str = ""
    session: ClientAppSession | None = None
    login: ClientAppLogin | None = None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic(durable=True)
def client_sign_in(
    *, login_name: str, password: str, device: Device, now: dt.datetime
) -> SignInOutcome:
    """The client app's sign-in.  The attempt is recorded (and a failure counted)
    whatever the result: the outcome carries the error the interface raises after the
    commit — SignInRefused (unknown name, wrong password, locked out: one answer),
    AppLoginLocked, ClientFrozen, ClientClosed."""
    name = (login_name or "").strip()[:64]
    login = (
        ClientAppLogin.objects.select_for_update()
        .select_related("client")
        .filter(login_name__iexact=name)
        .exclude(status=ClientAppLogin.Status.CLOSED)
        .first()
    )

    def attempt(result: str, error: DomainError | None = None) -> SignInOutcome:
        ClientLoginDevice.objects.create(
            client=login.client if login else None,
            login_name=name,
            at=now,
            ip=device.ip[:64],
            device_id=device.device_id[:64],
            device_model=device.device_model[:100],
            os=device.os[:100],
            app_version=device.app_version[:32],
            result=result,
        )
        return SignInOutcome(ok=error is None, error=error, login=login)

    R = ClientLoginDevice.Result
    if login is None:
        check_password(password, _DUMMY_HASH)  # same work as for a known name
        return attempt(R.UNKNOWN_LOGIN, SignInRefused())
    if login.lockout_until and login.lockout_until > now:
        return attempt(R.LOCKED_OUT, SignInRefused())
    if not check_password(password, login.password):
        login.failed_count += 1
        if login.failed_count >= MAX_FAILURES:
            login.lockout_until, login.failed_count = now + LOCKOUT, 0
        login.save(update_fields=["failed_count", "lockout_until"])
        return attempt(R.BAD_PASSWORD, SignInRefused())
    login.failed_count, login.lockout_until = 0, None
    login.save(update_fields=["failed_count", "lockout_until"])
    client = login.client
    if client.status == Client.Status.CLOSED:
        return attempt(R.CLIENT_CLOSED, ClientClosed())
    if client.status == Client.Status.FROZEN:
        return attempt(R.CLIENT_FROZEN, ClientFrozen())
    if login.status == ClientAppLogin.Status.LOCKED:
        return attempt(R.LOCKED, AppLoginLocked())
    token = secrets.token_urlsafe(32)
    session = ClientAppSession.objects.create(
        login=login, token_hash=_token_hash(token), created_at=now, expires_at=now + SESSION_TTL
    )
    login.last_sign_in_at = now
    login.save(update_fields=["last_sign_in_at"])
    out = attempt(R.SUCCESS)
    out.token, out.session = token, session
    return out


def client_session(token: str, *, now: dt.datetime) -> ClientAppSession | None:
    """The live session of a bearer token (its client still active, its login not
    locked), or None."""
    s = (
        ClientAppSession.objects.select_related("login__client")
        .filter(token_hash=_token_hash(token), ended_at__isnull=True, expires_at__gt=now)
        .first()
    )
    if s is None or s.login.status != ClientAppLogin.Status.ACTIVE:
        return None
    if s.login.client.status != Client.Status.ACTIVE:
        return None
    return s


@transaction.atomic(durable=True)
def client_password_change(
    *, session: ClientAppSession, current_password: str, new_password: str, now: dt.datetime
) -> ClientAppLogin:
    """The client changes its own password (required after a reset).  Raises
    ValidationFailed (``current_password`` wrong, ``new_password`` rule or unchanged)."""
    login = ClientAppLogin.objects.select_for_update().get(pk=session.login_id)
    errors = []
    if not check_password(current_password, login.password):
        errors.append(FieldError("current_password", "wrong", _("The current password is wrong.")))
    elif current_password == new_password:
        errors.append(FieldError("new_password", "unchanged", _("Choose a new password.")))
    if errors:
        raise ValidationFailed(errors)
    check_password_rule(new_password)
    login.password = make_password(new_password)
    login.must_change_password = False
    login.password_changed_at = now
    login.save(update_fields=["password", "must_change_password", "password_changed_at"])
    ClientAppSession.objects.filter(login=login, ended_at__isnull=True).exclude(
        pk=session.pk
    ).update(ended_at=now)
    audit_client(
        login.client,
        actor=None,
        action="brokerage.app_login.password_change",
        after={"login_name": login.login_name},
        now=now,
    )
    return login


@transaction.atomic(durable=True)
def client_sign_out(*, session: ClientAppSession, now: dt.datetime) -> None:
    ClientAppSession.objects.filter(pk=session.pk, ended_at__isnull=True).update(ended_at=now)
