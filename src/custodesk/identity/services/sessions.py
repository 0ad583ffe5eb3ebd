"""Sessions and API tokens: sign out, touch, force logout."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction

from custodesk.audit.services import record
from custodesk.core import access
from custodesk.core.errors import IllegalTransition, NotFound

from .. import permissions as perms
from ..models import User, UserSession
from ..selectors import visible_user as _visible_user
from .common import _end_sessions, forget_cached_sessions


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
