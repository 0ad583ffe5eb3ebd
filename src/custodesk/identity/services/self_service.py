"""What a user changes about its own credentials (SELF-CRED: the login name) and the
password reset a user who forgot it gets once it proved who it is (FORGOT)."""

from __future__ import annotations

import datetime as dt
import re

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from custodesk.audit.services import record
from custodesk.core.errors import FieldError, ValidationFailed

from ..models import User, UserSession
from .common import _end_sessions, generate_password
from .sign_in import _current_password_refusal

# SELF-CRED: 4–32 characters, not starting with a digit; letters, digits, . @ - _ only.
LOGIN_NAME_RE = re.compile(r"^[A-Za-z.@_-][A-Za-z0-9.@_-]{3,31}$")
LOGIN_NAME_RULE = _(
    "4–32 characters, not starting with a digit: letters, digits, '.', '@', '-' and '_' only."
)


def username_change(
    *,
    user: User,
    new_username: str,
    now: dt.datetime,
    new_username_again: str | None = None,
    current_password: str | None = None,
) -> User:
    """The user changes its own login name (audited, before and after).

    The name: 4–32 characters, not starting with a digit, letters, digits and
    ``.@-_`` only (rule ``pattern``), nobody else's in any case (rule ``unique``); a
    confirmation, when given, must be equal (``new_username_again``, rule ``mismatch``).
    ``current_password``, when given (the console and the API always give it), is
    checked as a password change checks it: a wrong one counts toward the sign-in
    lockout.  Raises ValidationFailed, WrongCurrentPassword, LockedOut.
    """
    result = _username_change(
        user=user,
        new_username=new_username,
        new_username_again=new_username_again,
        current_password=current_password,
        now=now,
    )
    if isinstance(result, Exception):
        raise result  # after the commit: the failure count and its records stay
    return result


@transaction.atomic(durable=True)
def _username_change(
    *,
    user: User,
    new_username: str,
    new_username_again: str | None,
    current_password: str | None,
    now: dt.datetime,
) -> User | Exception:
    name = (new_username or "").strip()
    errors = []
    if not LOGIN_NAME_RE.match(name):
        errors.append(FieldError("new_username", "pattern", LOGIN_NAME_RULE))
    elif name == user.username:
        errors.append(
            FieldError("new_username", "unchanged", _("This is your login name already."))
        )
    elif User.objects.filter(username__iexact=name).exclude(pk=user.pk).exists():
        errors.append(FieldError("new_username", "unique", _("This user name is already taken.")))
    if new_username_again is not None and new_username_again.strip() != name:
        errors.append(
            FieldError("new_username_again", "mismatch", _("The two login names differ."))
        )
    if errors:
        raise ValidationFailed(errors)
    locked = User.objects.select_for_update().select_related("organisation").get(pk=user.pk)
    if current_password is not None:
        refusal = _current_password_refusal(locked, current_password, now=now)
        if refusal is not None:
            return refusal
    before = locked.username
    locked.username = name
    try:
        with transaction.atomic():
            locked.save(update_fields=["username"])
    except IntegrityError:
        raise ValidationFailed.single(
            "new_username", "unique", _("This user name is already taken.")
        ) from None
    user.username = name
    record(
        actor=locked,
        action="user.username_change",
        object_type="user",
        object_id=locked.public_id,
        object_repr=name,
        before={"username": before},
        after={"username": name},
        organisation_id=locked.organisation_id,
        organisation_code=locked.organisation.code,
        now=now,
    )
    return locked


def password_reset_self(*, user: User, now: dt.datetime) -> str:
    """FORGOT: the user proved who it is (the caller checked the ID, the phone's SMS
    code, the card): a generated temporary password replaces the old one, to be changed
    at the next sign-in; every session ends and a running lockout is lifted.

    Runs in the **caller's** transaction; returns the temporary password, which the
    caller sends through the outbox only (never shows, logs or keeps it)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("password_reset_self() runs inside the caller's transaction")
    locked = User.objects.select_for_update().select_related("organisation").get(pk=user.pk)
    temp = generate_password()
    locked.set_password(temp)
    locked.must_change_password = True
    locked.failed_logins = 0
    locked.lockout_until = None
    locked.save(
        update_fields=["password", "must_change_password", "failed_logins", "lockout_until"]
    )
    ended = _end_sessions(locked, reason=UserSession.EndReason.PASSWORD_CHANGED, now=now, by=None)
    record(
        actor=None,
        action="user.password_reset_self",
        object_type="user",
        object_id=locked.public_id,
        object_repr=str(locked.public_id),  # the login name goes to its user only
        after={"must_change_password": True, "sessions_ended": ended},
        reason="self-service (identity proven by the caller)",
        organisation_id=locked.organisation_id,
        organisation_code=locked.organisation.code,
        now=now,
    )
    return temp
