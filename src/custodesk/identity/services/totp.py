"""The second factor: enrol and confirm an authenticator."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from custodesk.audit.services import record

from ..errors import (
    InvalidOtp,
    TotpAlreadyEnrolled,
    TotpNotStarted,
)
from ..models import User
from .sign_in import has_totp


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
