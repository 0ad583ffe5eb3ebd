"""Security events: refused attempts, kept with who, from where, on which route and why.

A failed or locked-out sign-in, a wrong second-factor code, a wrong current password on
a password change, a request refused for want of a permission (every 403 the API or the
console answers): one row each in :class:`~custodesk.identity.models.SecurityEvent`,
read beside the login-device records (``GET /api/v1/security-events``, the console's
"Security events" page, CSV / XLSX exports).

Recording is one INSERT and reads nothing: the IP, device, user agent, route and
request id come from the request context (:mod:`custodesk.core.context`).  Inside a
service's transaction (sign-in, password change) the row commits with the attempt's
own records; called from an error handler (the 403 answers) it commits on its own.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import DatabaseError, transaction
from django.db.transaction import TransactionManagementError

from custodesk.core import context

from .models import SecurityEvent, User

logger = logging.getLogger("custodesk.security")


def record_refusal(
    *,
    reason: str,
    user: User | None = None,
    username: str = "",
    code: str = "",
    detail: str = "",
    now: dt.datetime,
) -> SecurityEvent:
    """Keep one refused attempt (``reason``: a :class:`SecurityEvent.Reason` value)."""
    ctx = context.current()
    return SecurityEvent.objects.create(
        at=now,
        reason=reason,
        code=code[:64],
        detail=detail[:200],
        user=user,
        organisation_id_snapshot=user.organisation_id if user is not None else None,
        username=(user.username if user is not None else username)[:150],
        channel=ctx.channel[:16],
        route=ctx.route[:300],
        ip=ctx.ip or "",
        user_agent=ctx.user_agent[:400],
        device_id=ctx.device_id[:64],
        request_id=ctx.request_id[:64],
    )


def record_permission_denied(*, user: Any, code: str, detail: str, now: dt.datetime) -> None:
    """A 403 answered by the API or the console (called where errors are rendered).

    The refusal must still be answered when its record cannot be written (a broken
    transaction of the caller): that failure is logged, not raised.
    """
    who = user if isinstance(user, User) else None
    try:
        with transaction.atomic():
            record_refusal(
                reason=SecurityEvent.Reason.PERMISSION_DENIED,
                user=who,
                code=code,
                detail=detail,
                now=now,
            )
    except (DatabaseError, TransactionManagementError):
        logger.exception("could not record a refused request (%s)", code)
