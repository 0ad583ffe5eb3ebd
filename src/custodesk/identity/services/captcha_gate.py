"""The sign-in captcha's rule: when one is due, and the gate an attempt passes first."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction

from custodesk.core.errors import DomainError

from .. import captcha
from ..errors import CaptchaInvalid, CaptchaRequired
from ..models import LoginDevice


def _normalised_name(username: str) -> str:
    return username.strip().lower()[:150]


def captcha_required(*, username: str, now: dt.datetime) -> bool:
    """Is a captcha due for a sign-in as ``username``?  Yes when the last attempt for
    that name (compared trimmed and case-insensitively, as sign-in compares names)
    within the lockout window was refused.  Counted by the name as typed, so an unknown
    name and a known one behave alike (the captcha does not tell which exist)."""
    since = now - dt.timedelta(minutes=settings.CUSTODESK_LOCKOUT_MINUTES)
    last = (
        LoginDevice.objects.filter(username__iexact=_normalised_name(username), at__gte=since)
        .exclude(result=LoginDevice.Result.OTP_REQUIRED)
        .order_by("-at", "-id")
        .values_list("result", flat=True)
        .first()
    )
    return last is not None and last != LoginDevice.Result.SUCCESS


@transaction.atomic(durable=True)
def captcha_gate(
    username: str, key: str | None, value: str | None, *, now: dt.datetime
) -> DomainError | None:
    """Use up the captcha given (if any); the refusal when one is due and not solved."""
    solved = captcha.consume(key, value)
    if not captcha_required(username=username, now=now):
        return None
    if not key or not (value or "").strip():
        return CaptchaRequired(field="captcha_value", captcha_required=True)
    if not solved:
        return CaptchaInvalid(field="captcha_value", captcha_required=True)
    return None
