"""One-time codes sent by SMS (registration, sign-in, confirmations): send and check.

A code is 6 digits, valid ``CODE_MINUTES``, good for one use, dead after
``MAX_ATTEMPTS`` wrong tries; another for the same purpose and phone is refused for
``RESEND_SECONDS``.  Only a keyed hash of the code is stored (bound to the challenge);
the code itself goes out through the outbox (``notify.one_time_code``), whose secrets
are blanked once the SMS is sent.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import uuid
from typing import Any

from django.db import transaction
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _

from custodesk.core.errors import ValidationFailed
from custodesk.notify import services as notify

from ..errors import CodeThrottled, InvalidVerificationCode
from ..models import VerificationChallenge

CODE_MINUTES = 5
RESEND_SECONDS = 60
MAX_ATTEMPTS = 5
_SALT = "custodesk.identity.verification"
_PHONE = re.compile(r"^\+?[0-9]{6,15}$")
_PURPOSE = re.compile(r"^[a-z][a-z0-9_.]{0,31}$")


def _digest(challenge_id: Any, code: str) -> str:
    return salted_hmac(_SALT, f"{challenge_id}:{code}", algorithm="sha256").hexdigest()


def normalised_phone(phone: str) -> str:
    return re.sub(r"[\s()-]", "", phone or "")


def verification_send(
    *, purpose: str, phone: str, language: str, now: dt.datetime
) -> VerificationChallenge:
    """Send a new 6-digit code by SMS to ``phone`` for ``purpose`` (``"sign_in"``,
    ``"registration"`` ...).  Joins the caller's transaction if there is one (the SMS
    is queued with it).  Raises ValidationFailed (field ``phone`` / ``purpose``),
    CodeThrottled (a code was sent for the same purpose and phone in the last minute).
    """
    number = normalised_phone(phone)
    if not _PHONE.match(number):
        raise ValidationFailed.single("phone", "phone", _("Enter a mobile number (digits)."))
    if not _PURPOSE.match(purpose or ""):
        raise ValidationFailed.single("purpose", "pattern", _("Not a valid purpose."))
    with transaction.atomic():
        recent = VerificationChallenge.objects.filter(
            purpose=purpose,
            phone=number,
            created_at__gt=now - dt.timedelta(seconds=RESEND_SECONDS),
        )
        if recent.exists():
            raise CodeThrottled(field="phone", retry_after=RESEND_SECONDS)
        code = f"{secrets.randbelow(10**6):06d}"
        challenge = VerificationChallenge(
            purpose=purpose,
            phone=number,
            created_at=now,
            expires_at=now + dt.timedelta(minutes=CODE_MINUTES),
        )
        challenge.code_hash = _digest(challenge.public_id, code)
        challenge.save(force_insert=True)
        notify.enqueue(
            channel="sms",
            template="notify.one_time_code",
            recipient=number,
            language=language or None,
            context={"minutes": CODE_MINUTES},
            secrets={"code": code},
            now=now,
        )
    return challenge


def verification_check(
    *,
    challenge_id: Any,
    purpose: str,
    phone: str,
    code: str,
    now: dt.datetime,
    field: str = "sms_code",
) -> None:
    """Check a code and consume it.  Commits a failed try itself (its own durable
    transaction), so call it **before** the caller's transaction.  Raises
    InvalidVerificationCode(field, rule): ``code_invalid`` (wrong code, or a challenge
    that does not exist or is for another purpose or phone), ``code_expired``,
    ``code_used``, ``code_attempts_exceeded`` (the fifth wrong try kills it)."""
    with transaction.atomic(durable=True):
        error = verification_consume(
            challenge_id=challenge_id, purpose=purpose, phone=phone, code=code, now=now, field=field
        )
    if error is not None:
        raise error


def verification_consume(
    *,
    challenge_id: Any,
    purpose: str,
    phone: str,
    code: str,
    now: dt.datetime,
    field: str = "sms_code",
) -> InvalidVerificationCode | None:
    """:func:`verification_check` inside the caller's transaction, which must commit
    even when the answer is an error (the error is returned, not raised)."""
    try:
        public_id = uuid.UUID(str(challenge_id))
    except ValueError:
        return InvalidVerificationCode(field=field, rule="code_invalid")
    challenge = (
        VerificationChallenge.objects.select_for_update()
        .filter(public_id=public_id, purpose=purpose, phone=normalised_phone(phone))
        .first()
    )
    if challenge is None:
        return InvalidVerificationCode(field=field, rule="code_invalid")
    if challenge.used_at is not None:
        return InvalidVerificationCode(field=field, rule="code_used")
    if challenge.attempts >= MAX_ATTEMPTS:
        return InvalidVerificationCode(field=field, rule="code_attempts_exceeded")
    if challenge.expires_at <= now:
        return InvalidVerificationCode(field=field, rule="code_expired")
    given = (code or "").strip()
    if re.fullmatch(r"[0-9]{6}", given) and constant_time_compare(
        _digest(challenge.public_id, given), challenge.code_hash
    ):
        challenge.used_at = now
        challenge.save(update_fields=["used_at"])
        return None
    challenge.attempts += 1
    challenge.save(update_fields=["attempts"])
    if challenge.attempts >= MAX_ATTEMPTS:
        return InvalidVerificationCode(field=field, rule="code_attempts_exceeded")
    return InvalidVerificationCode(field=field, rule="code_invalid")
