"""Changes other modules make to an organisation's identity inside their own use case
(the caller's transaction, the caller's permission check): closing a member's
registration (CLOSE) and a user's verified mobile number (SELF-PHONE).

A member's login name reached it through the outbox only: these audit rows name its
users by id (as ``organisation_open`` does)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from custodesk.audit.services import record
from custodesk.core.errors import IllegalTransition

from ..models import Organisation, User, UserSession
from .common import _end_sessions, _user_state


def _state(user: User) -> dict[str, object]:
    return {k: v for k, v in _user_state(user).items() if k != "username"}


def _in_caller_transaction(name: str) -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"{name}() runs inside the caller's transaction")


def organisation_close(
    *, actor: User | None, organisation_id: int, reason: str, now: dt.datetime
) -> Organisation:
    """Close an organisation for good: status ``closed``, every user deactivated and
    signed out; nothing deleted.  Runs in the caller's transaction (which checked its
    own permission).  Raises IllegalTransition (already closed)."""
    _in_caller_transaction("organisation_close")
    org = Organisation.objects.select_for_update().get(pk=organisation_id)
    if org.status == Organisation.Status.CLOSED:
        raise IllegalTransition(status=org.status)
    before = {"status": org.status}
    org.status = Organisation.Status.CLOSED
    org.save(update_fields=["status"])
    for user in User.objects.select_for_update().filter(organisation=org).order_by("pk"):
        if user.status == User.Status.INACTIVE:
            continue
        user_before = _state(user)
        user.status = User.Status.INACTIVE
        user.is_active = False
        user.save(update_fields=["status", "is_active"])
        _end_sessions(user, reason=UserSession.EndReason.USER_LOCKED, now=now, by=actor)
        record(
            actor=actor,
            action="user.deactivate",
            object_type="user",
            object_id=user.public_id,
            object_repr=f"user {user.pk}",
            before=user_before,
            after=_state(user),
            reason=reason,
            organisation_id=org.pk,
            organisation_code=org.code,
            now=now,
        )
    record(
        actor=actor,
        action="organisation.close",
        object_type="organisation",
        object_id=org.public_id,
        object_repr=str(org),
        before=before,
        after={"status": org.status},
        reason=reason,
        organisation_id=org.pk,
        organisation_code=org.code,
        now=now,
    )
    return org


def user_phone_set(*, actor: User | None, user: User, phone: str, now: dt.datetime) -> User:
    """Set a user's mobile number, which the caller has verified (an SMS code to the new
    number).  Runs in the caller's transaction; audited with before and after."""
    _in_caller_transaction("user_phone_set")
    before = _state(user)
    user.phone = phone
    user.save(update_fields=["phone"])
    record(
        actor=actor,
        action="user.phone_change",
        object_type="user",
        object_id=user.public_id,
        object_repr=f"user {user.pk}",
        before=before,
        after=_state(user),
        organisation_id=user.organisation_id,
        organisation_code=user.organisation.code,
        now=now,
    )
    return user
