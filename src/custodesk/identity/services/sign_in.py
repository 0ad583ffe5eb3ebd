"""Sign-in, the second factor step, password changes and the lockout they share."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core import signing
from django.db import transaction
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from custodesk.audit.services import record
from custodesk.core import context
from custodesk.core.errors import DomainError, ValidationFailed
from custodesk.notify import services as notify

from ..errors import (
    CodeThrottled,
    InvalidCredentials,
    InvalidOtp,
    LockedOut,
    OtpRequired,
    SecondFactorUnavailable,
    SignInExpired,
    UserInactive,
    UserLocked,
    WrongCurrentPassword,
)
from ..models import (
    LoginDevice,
    SecurityEvent,
    SignInFactor,
    User,
    UserSession,
    VerificationChallenge,
)
from ..security_events import record_refusal
from ..selectors import token_digest
from .captcha_gate import captcha_gate
from .common import TOKEN_PREFIX, _check_password_policy, _end_sessions
from .verification import normalised_phone, verification_consume, verification_send

logger = logging.getLogger(__name__)


def password_change(
    *,
    user: User,
    session: UserSession | None,
    current_password: str,
    new_password: str,
    new_password_again: str,
    now: dt.datetime,
) -> User:
    """The user changes its own password; every other session of the user ends.

    A wrong current password counts toward the sign-in lockout (and is kept as a
    security event); the failure that starts a lockout also ends every session of the
    user, this one included — whoever holds it does not know the password.  During a
    lockout the change is refused.  Raises WrongCurrentPassword, LockedOut,
    ValidationFailed.
    """
    result = _password_change(
        user=user,
        session=session,
        current_password=current_password,
        new_password=new_password,
        new_password_again=new_password_again,
        now=now,
    )
    if isinstance(result, Exception):
        raise result  # after the commit: the failure count and its records stay
    return result


@transaction.atomic(durable=True)
def _password_change(
    *,
    user: User,
    session: UserSession | None,
    current_password: str,
    new_password: str,
    new_password_again: str,
    now: dt.datetime,
) -> User | Exception:
    user = User.objects.select_for_update().select_related("organisation").get(pk=user.pk)
    refusal = _current_password_refusal(user, current_password, now=now)
    if refusal is not None:
        return refusal
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


def needs_totp_enrolment(user: User) -> bool:
    """The user's organisation requires an authenticator (``sign_in_factor`` "totp") and
    the user has none confirmed: until it enrols one (right after the first password
    change), it may do nothing else."""
    return user.organisation.sign_in_factor == SignInFactor.TOTP and not has_totp(user)


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


def sign_in(
    *,
    username: str,
    password: str,
    otp_code: str | None,
    kind: str,
    now: dt.datetime,
    captcha_key: str | None = None,
    captcha_value: str | None = None,
    challenge_id: str | None = None,
) -> SignInOutcome:
    """Check the captcha (when one is due), credentials, lockout and second factor;
    open a session.

    A captcha is due after a refused attempt for the user name within the lockout
    window (:func:`captcha_required`); a missing or wrong one (any answer uses the
    captcha up) is refused with nothing else done or recorded (``captcha_required`` /
    ``captcha_invalid``).  Every other attempt writes a login-device record, successful
    or not, and every refused one a security event.  Failures are returned (not
    raised) so that the failure count and the records commit.  An unknown user and a
    locked-out one get the same answer (``invalid_credentials``) after the same work
    (one password hash): neither whether a user exists nor whether it is locked out can
    be read from the answer.  The second factor is the organisation's
    (``sign_in_factor``): with "sms", the password step sends a code to the user's
    phone and answers ``otp_required`` with the challenge; the next attempt brings
    ``challenge_id`` and the code as ``otp_code``.
    """
    refusal = captcha_gate(username, captcha_key, captcha_value, now=now)
    if refusal is not None:
        return SignInOutcome(refusal.code, error=refusal)
    return _sign_in(
        username=username,
        password=password,
        otp_code=otp_code,
        challenge_id=challenge_id,
        kind=kind,
        now=now,
    )


@transaction.atomic(durable=True)
def _sign_in(
    *,
    username: str,
    password: str,
    otp_code: str | None,
    challenge_id: str | None,
    kind: str,
    now: dt.datetime,
) -> SignInOutcome:
    user = (
        User.objects.select_for_update()
        .select_related("organisation")
        .filter(username__iexact=username.strip())
        .first()
    )
    outcome = _attempt(user, password, otp_code, challenge_id, kind=kind, now=now)
    return _record_attempt(outcome, username=username.strip(), kind=kind, now=now)


# The console asks for the second factor on a page of its own.  Between the two steps the
# server keeps no password: only this signed proof that the password step passed, bound
# to the user (and its current password hash), to the browser's session, and to a time.
PASSWORD_PROOF_SALT = "custodesk.identity.sign_in.password_step"  # noqa: S105 - a salt
PASSWORD_PROOF_SECONDS = 300


def _password_mark(user: User) -> str:
    """Changes when the password does (a proof does not outlive a password change)."""
    return salted_hmac(PASSWORD_PROOF_SALT, user.password).hexdigest()[:24]


def password_proof(*, user: User, binding: str, now: dt.datetime) -> str:
    """A signed proof that ``user`` passed the password step, for ``binding`` (the
    console session's key), valid for ``PASSWORD_PROOF_SECONDS`` from ``now``."""
    return signing.dumps(
        {"u": user.pk, "p": _password_mark(user), "b": binding, "t": int(now.timestamp())},
        salt=PASSWORD_PROOF_SALT,
    )


@transaction.atomic(durable=True)
def sign_in_second_factor(
    *,
    proof: str,
    binding: str,
    otp_code: str,
    kind: str,
    now: dt.datetime,
    challenge_id: str | None = None,
) -> SignInOutcome:
    """The second step of a two-step sign-in: the password step's proof and the code.

    A proof that is forged, for another session, older than ``PASSWORD_PROOF_SECONDS``
    or made before a password change raises ``SignInExpired`` (nothing is recorded:
    start again with the password).  Otherwise as :func:`sign_in` (lockout, status and
    the code are checked again; failures are returned, and recorded).
    """
    user = _proof_user(proof, binding, now=now)
    outcome = _attempt(user, None, otp_code, challenge_id, kind=kind, now=now)
    return _record_attempt(outcome, username=user.username, kind=kind, now=now)


def _proof_user(proof: str, binding: str, *, now: dt.datetime) -> User:
    """The user whose password step ``proof`` shows passed (locked for update), or
    SignInExpired."""
    try:
        data = signing.loads(proof, salt=PASSWORD_PROOF_SALT)
    except signing.BadSignature:
        raise SignInExpired() from None
    age = now.timestamp() - float(data.get("t", 0))
    user = (
        User.objects.select_for_update()
        .select_related("organisation")
        .filter(pk=data.get("u"))
        .first()
    )
    if (
        user is None
        or data.get("b") != binding
        or not 0 <= age <= PASSWORD_PROOF_SECONDS
        or not constant_time_compare(data.get("p", ""), _password_mark(user))
    ):
        raise SignInExpired()
    return user


@transaction.atomic(durable=True)
def sign_in_sms_resend(*, proof: str, binding: str, now: dt.datetime) -> VerificationChallenge:
    """The console's second step asks for another SMS code (the password step's proof
    names the user).  Raises SignInExpired (no valid proof, or the user signs in
    otherwise), CodeThrottled (a code went out less than a minute ago)."""
    user = _proof_user(proof, binding, now=now)
    if user.organisation.sign_in_factor != SignInFactor.SMS or not user.phone:
        raise SignInExpired()
    return verification_send(purpose=SMS_PURPOSE, phone=user.phone, language=user.language, now=now)


def _record_attempt(
    outcome: SignInOutcome, *, username: str, kind: str, now: dt.datetime
) -> SignInOutcome:
    """Open the session of a successful attempt; the login-device record of every attempt
    and the security event of every refused one."""
    ctx = context.current()
    user = outcome.user
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
    elif outcome.result != LoginDevice.Result.OTP_REQUIRED:
        error = outcome.error
        if isinstance(error, DomainError):
            error.data.setdefault("captcha_required", True)  # the next attempt needs one
        record_refusal(
            reason=outcome.result,
            user=user,
            username=username,
            code=getattr(error, "code", ""),
            now=now,
        )
        if outcome.data.get("lockout_started"):
            assert user is not None
            _record_lockout_started(user, outcome.result, now=now)
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
    user: User | None,
    password: str | None,
    otp_code: str | None,
    challenge_id: str | None,
    *,
    kind: str,
    now: dt.datetime,
) -> SignInOutcome:
    """``password`` None: the password step was passed already (a checked proof)."""
    R = LoginDevice.Result
    if user is None:
        # Same answer as a wrong password, after the same work (one hash, as Django's
        # ModelBackend does): user names are not enumerable.
        make_password(password)
        return SignInOutcome(R.UNKNOWN_USER, error=InvalidCredentials())
    if _locked_out(user, now=now):
        # The same answer and work as an unknown user: the lockout is not disclosed to
        # whoever tries (the user learns of it from an administrator, who sees it in the
        # security events and the operation records).
        if password is not None:
            make_password(password)
        return SignInOutcome(R.LOCKED_OUT, user, error=InvalidCredentials())
    if password is not None and not user.check_password(password):
        return _failed(user, R.BAD_PASSWORD, InvalidCredentials(), now=now)
    if user.status == User.Status.INACTIVE:
        return SignInOutcome(R.INACTIVE, user, error=UserInactive())
    if user.status == User.Status.LOCKED:
        return SignInOutcome(R.LOCKED, user, error=UserLocked())
    if user.organisation.sign_in_factor == SignInFactor.SMS:
        refused = _sms_factor(user, otp_code, challenge_id, now=now)
        if refused is not None:
            return refused
    elif has_totp(user):
        if not otp_code:
            return SignInOutcome(R.OTP_REQUIRED, user, error=OtpRequired(second_factor="totp"))
        if not _verify_otp(user, otp_code):
            return _failed(user, R.BAD_OTP, InvalidOtp(field="otp_code"), now=now)
    if user.failed_logins:
        user.failed_logins = 0
        user.save(update_fields=["failed_logins"])
    return SignInOutcome(R.SUCCESS, user)


SMS_PURPOSE = "sign_in"


def _sms_factor(
    user: User, otp_code: str | None, challenge_id: str | None, *, now: dt.datetime
) -> SignInOutcome | None:
    """The organisation's SMS second factor: without a code, one is sent to the user's
    phone (or, within the resend minute, the live one sent last is named again);
    with one, it is checked (a wrong one counts toward the lockout)."""
    R = LoginDevice.Result
    if not user.phone:
        return SignInOutcome(R.NO_SECOND_FACTOR, user, error=SecondFactorUnavailable())
    if not otp_code or not challenge_id:
        challenge = _sms_challenge(user, now=now)
        hint = "*" * max(len(user.phone) - 4, 0) + user.phone[-4:]
        return SignInOutcome(
            R.OTP_REQUIRED,
            user,
            error=OtpRequired(
                _("Enter the code sent by SMS to your phone."),
                second_factor="sms",
                challenge_id=str(challenge.public_id),
                phone_hint=hint,
            ),
            data={"second_factor": "sms", "challenge_id": str(challenge.public_id)},
        )
    error = verification_consume(
        challenge_id=challenge_id,
        purpose=SMS_PURPOSE,
        phone=user.phone,
        code=otp_code,
        now=now,
        field="otp_code",
    )
    if error is not None:
        return _failed(user, R.BAD_OTP, error, now=now)
    return None


def _sms_challenge(user: User, *, now: dt.datetime) -> VerificationChallenge:
    try:
        return verification_send(
            purpose=SMS_PURPOSE, phone=user.phone, language=user.language, now=now
        )
    except CodeThrottled:
        # a code went out less than a minute ago: that one (still good) is the one to type
        live = (
            VerificationChallenge.objects.filter(
                purpose=SMS_PURPOSE,
                phone=normalised_phone(user.phone),
                used_at__isnull=True,
                expires_at__gt=now,
            )
            .order_by("-created_at", "-id")
            .first()
        )
        if live is None:
            raise
        return live


def _locked_out(user: User, *, now: dt.datetime) -> bool:
    """Is the user locked out now?  A lockout that has run out is cleared."""
    if user.lockout_until is None:
        return False
    if user.lockout_until > now:
        return True
    user.lockout_until = None
    user.failed_logins = 0
    user.save(update_fields=["lockout_until", "failed_logins"])
    return False


def _failed(user: User, result: str, error: Exception, *, now: dt.datetime) -> SignInOutcome:
    """Count a failure (wrong password or code, here or on a password change); the
    threshold-th in a row starts a lockout (audited; ``data["lockout_started"]``)."""
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
            reason=f"{settings.CUSTODESK_LOCKOUT_THRESHOLD} consecutive failed attempts "
            "(password, second factor or current password)",
            organisation_id=user.organisation_id,
            organisation_code=user.organisation.code,
            now=now,
        )
    user.save(update_fields=fields)
    return SignInOutcome(
        result, user, error=error, data={"lockout_started": "lockout_until" in fields}
    )


def _record_lockout_started(user: User, cause: str, *, now: dt.datetime) -> None:
    """The security event, and the user told through the outbox (e-mail, else SMS):
    sign-in answers a locked-out user like an unknown one, so this is how they learn."""
    assert user.lockout_until is not None
    record_refusal(
        reason=SecurityEvent.Reason.LOCKOUT_STARTED,
        user=user,
        code=cause,
        detail=f"until {user.lockout_until.isoformat()}",
        now=now,
    )
    channel, recipient = ("email", user.email) if user.email else ("sms", user.phone)
    if not recipient:
        return
    try:
        notify.enqueue(
            channel=channel,
            template="identity.locked_out",
            recipient=recipient,
            language=user.language or None,
            context={
                "username": user.username,
                "until": user.lockout_until.strftime("%Y-%m-%d %H:%M"),
            },
            now=now,
        )
    except ValidationFailed:
        # a contact the outbox cannot use (checked before it writes anything) must not
        # stop the lockout from being recorded; the security event and the user page show it
        logger.warning("lockout of %s not notified: unusable contact", user.username)


def _current_password_refusal(user: User, password: str, *, now: dt.datetime) -> Exception | None:
    """A password change's check of the current password, under the sign-in lockout."""
    if _locked_out(user, now=now):
        make_password(password)
        record_refusal(reason=SecurityEvent.Reason.LOCKED_OUT, user=user, now=now)
        assert user.lockout_until is not None
        return LockedOut(until=user.lockout_until.isoformat())
    if user.check_password(password):
        return None
    reason = SecurityEvent.Reason.WRONG_CURRENT_PASSWORD
    record_refusal(reason=reason, user=user, code=WrongCurrentPassword.code, now=now)
    if not _failed(user, reason, WrongCurrentPassword(), now=now).data["lockout_started"]:
        return WrongCurrentPassword(field="current_password")
    _record_lockout_started(user, reason, now=now)
    _end_sessions(user, reason=UserSession.EndReason.USER_LOCKED, now=now, by=None)
    assert user.lockout_until is not None
    return LockedOut(until=user.lockout_until.isoformat())
