"""Helpers the identity services share (no transactions of their own)."""

from __future__ import annotations

import datetime as dt
import re
import secrets
import string
from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction

from custodesk.core import access
from custodesk.core.errors import FieldError, ValidationFailed

from ..models import User, UserSession
from ..selectors import forget_cached_sessions as _forget_cached_sessions

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
