"""Reads for identity and access: always scoped to what the actor may see."""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import threading
import time
from typing import Any

import django_filters as filters
from django.conf import settings
from django.db import connection
from django.db.models import Q, QuerySet

from custodesk.core import access, sql
from custodesk.core.errors import NotFound

from . import permissions as perms
from .models import LoginDevice, Organisation, Role, RoleGrant, User, UserSession


def token_digest(token: str) -> str:
    """What is stored of a bearer token (its SHA-256)."""
    return hashlib.sha256(token.encode()).hexdigest()


def visible_user(actor: User | None, public_id: Any, *, for_update: bool = False) -> User:
    """A user the actor may see (``None``: the server operator at the CLI), else NotFound."""
    qs = User.objects.select_related("organisation")
    if for_update:
        qs = qs.select_for_update()
    user = qs.filter(public_id=public_id).first()
    if user is None or (actor is not None and not actor.sees_organisation(user.organisation_id)):
        raise NotFound(object="user")
    return user


def visible_role(actor: User, public_id: Any) -> Role:
    role = Role.objects.select_related("organisation").filter(public_id=public_id).first()
    if role is None or not actor.sees_organisation(role.organisation_id):
        raise NotFound(object="role")
    return role


def visible_organisations(actor: User) -> QuerySet[Organisation]:
    if actor.organisation.kind == Organisation.Kind.STAFF:
        return Organisation.objects.all()
    return Organisation.objects.filter(pk=actor.organisation_id)


class UserFilter(filters.FilterSet):
    q = filters.CharFilter(method="search")
    status = filters.ChoiceFilter(choices=User.Status.choices)
    role = filters.CharFilter(method="by_role")
    organisation = filters.CharFilter(field_name="organisation__code")

    class Meta:
        model = User
        fields = ["status"]

    def search(self, qs: QuerySet[User], name: str, value: str) -> QuerySet[User]:
        return qs.filter(
            Q(username__icontains=value) | Q(full_name__icontains=value) | Q(email__icontains=value)
        )

    def by_role(self, qs: QuerySet[User], name: str, value: str) -> QuerySet[User]:
        return qs.filter(grants__role__code=value, grants__revoked_at__isnull=True).distinct()


def usernames(ids: Any) -> dict[int, str]:
    """User ids (as other modules store them) → user names, for display."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(User.objects.filter(pk__in=wanted).values_list("pk", "username"))


def user_list(*, actor: User, filters: dict[str, Any] | None = None) -> QuerySet[User]:
    access.require(actor, perms.USER_VIEW)
    qs = User.objects.select_related("organisation").filter(
        organisation__in=visible_organisations(actor)
    )
    fs = UserFilter(filters or {}, queryset=qs)
    return fs.qs.order_by("username")


def user_get(*, actor: User, public_id: Any) -> User:
    if str(public_id) != str(actor.public_id):
        access.require(actor, perms.USER_VIEW)
    return visible_user(actor, public_id)


def user_grants(*, actor: User, user: User, include_revoked: bool = False) -> QuerySet[RoleGrant]:
    qs = RoleGrant.objects.select_related("role", "granted_by", "revoked_by").filter(user=user)
    if not include_revoked:
        qs = qs.filter(revoked_at__isnull=True)
    return qs.order_by("role__code", "-granted_at")


def role_list(*, actor: User) -> QuerySet[Role]:
    access.require(actor, perms.ROLE_VIEW)
    return Role.objects.filter(
        organisation_id=actor.organisation_id, retired_at__isnull=True
    ).order_by("code")


def role_get(*, actor: User, public_id: Any) -> Role:
    access.require(actor, perms.ROLE_VIEW)
    return visible_role(actor, public_id)


class LoginDeviceFilter(filters.FilterSet):
    username = filters.CharFilter(field_name="username", lookup_expr="icontains")
    result = filters.ChoiceFilter(choices=LoginDevice.Result.choices)
    ip = filters.CharFilter(field_name="ip", lookup_expr="startswith")
    device_id = filters.CharFilter(field_name="device_id")
    channel = filters.CharFilter(field_name="channel")
    since = filters.IsoDateTimeFilter(field_name="at", lookup_expr="gte")
    until = filters.IsoDateTimeFilter(field_name="at", lookup_expr="lt")
    date_from = filters.DateFilter(field_name="at", lookup_expr="date__gte")
    date_to = filters.DateFilter(field_name="at", lookup_expr="date__lte")

    class Meta:
        model = LoginDevice
        fields = ["result"]


def login_device_list(
    *, actor: User, filters: dict[str, Any] | None = None, user: User | None = None
) -> QuerySet[LoginDevice]:
    if user is None or user.pk != actor.pk:
        access.require(actor, perms.LOGIN_DEVICE_VIEW)
    qs = LoginDevice.objects.select_related("user")
    if actor.organisation.kind != Organisation.Kind.STAFF:
        qs = qs.filter(organisation_id_snapshot=actor.organisation_id)
    if user is not None:
        qs = qs.filter(user=user)
    return LoginDeviceFilter(filters or {}, queryset=qs).qs.order_by("-at", "-id")


def session_list(
    *, actor: User, user: User | None = None, live_only: bool = True, now: Any
) -> QuerySet[UserSession]:
    """Live sessions (console sessions and API tokens) of one user, or of everyone visible."""
    if user is None or user.pk != actor.pk:
        access.require(actor, perms.LOGIN_DEVICE_VIEW)
    qs = UserSession.objects.select_related("user").filter(
        user__organisation__in=visible_organisations(actor)
    )
    if user is not None:
        qs = qs.filter(user=user)
    if live_only:
        qs = qs.filter(ended_at__isnull=True, expires_at__gt=now)
    return qs.order_by("-last_seen_at")


def session_by_token(*, token: str) -> UserSession | None:
    """The API session of a bearer token, with its user, organisation and permission codes.

    With ``CUSTODESK_API_SESSION_CACHE_SECONDS`` > 0 (default 0: off) each worker process
    keeps what it loaded for that many seconds: a token query saved per request, at a
    price — a session ended, a user locked or deactivated or a role revoked in *another*
    process is seen here only when the entry runs out (this process forgets its whole
    cache at once on such changes; the session's expiry time is checked on every request
    by the caller).  Each caller gets its own copies of the session, user and organisation.
    """
    ttl = settings.CUSTODESK_API_SESSION_CACHE_SECONDS
    if ttl <= 0 or not token:
        return _session_by_token(token)
    key = token_digest(token)
    now = time.monotonic()
    hit = _session_cache.get(key)
    if hit is not None and hit[0] > now:
        return _private_copy(hit[1])
    generation = _session_cache_generation[0]
    session = _session_by_token(token)
    if session is not None:
        with _session_cache_lock:
            if generation == _session_cache_generation[0]:  # nothing forgotten meanwhile
                if len(_session_cache) >= _SESSION_CACHE_MAX:
                    _session_cache.clear()
                _session_cache[key] = (now + ttl, _private_copy(session))
    return session


_SESSION_CACHE_MAX = 10_000
_session_cache: dict[str, tuple[float, UserSession]] = {}
_session_cache_lock = threading.Lock()
_session_cache_generation = [0]


def forget_cached_sessions() -> None:
    """Drop this process's cached API sessions (identity changes call it, now and again
    when their transaction commits)."""
    with _session_cache_lock:
        _session_cache.clear()
        _session_cache_generation[0] += 1


def _private_copy(session: UserSession) -> UserSession:
    """Copies a request may change without touching the cached ones."""
    user = copy.copy(session.user)
    user.organisation = copy.copy(session.user.organisation)
    mine = copy.copy(session)
    mine.user = user
    return mine


def _session_by_token(token: str) -> UserSession | None:
    """The API session of a bearer token, with its user, organisation and the user's
    permission codes, in ONE query (every API request asks this first).

    Hand-written SQL on purpose: the ORM spent longer composing the two queries this
    replaces than the database spent answering them.  The column lists come from the
    models, so a new field is picked up; the permission codes fill the same per-request
    cache :meth:`User.permission_codes` fills.
    """
    if not token:
        return None
    row = sql.fetch(
        _session_sql(connection.vendor), [token_digest(token), UserSession.Kind.API], one=True
    )
    if row is None:
        return None
    db = connection.alias
    (s_fields, u_fields, o_fields) = _SESSION_FIELDS
    ns, nu, no = len(s_fields), len(u_fields), len(o_fields)
    session = UserSession.from_db(db, s_fields, _convert(UserSession, s_fields, row[:ns]))
    user = User.from_db(db, u_fields, _convert(User, u_fields, row[ns : ns + nu]))
    org = Organisation.from_db(
        db, o_fields, _convert(Organisation, o_fields, row[ns + nu : ns + nu + no])
    )
    user.organisation = org
    session.user = user
    codes: set[str] = set()
    for role_codes in json.loads(row[-1] or "[]"):
        if isinstance(role_codes, str):  # SQLite's json_group_array of stored JSON texts
            role_codes = json.loads(role_codes)
        codes.update(role_codes or [])
    user._permission_cache = access.effective_codes(codes, staff=user.is_staff_member())
    return session


def _fields(model: Any) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields]


_SESSION_FIELDS = (_fields(UserSession), _fields(User), _fields(Organisation))


def _convert(model: Any, names: list[str], values: tuple[Any, ...]) -> list[Any]:
    """Apply what the ORM applies to a fetched column: the backend's converters (SQLite
    returns text for datetimes, integers for booleans) and the field's ``from_db_value``
    (only the columns that have any are touched)."""
    out = list(values)
    for i, col, convs in _converters(connection.vendor, model, tuple(names)):
        value = out[i]
        for conv in convs:
            value = conv(value, col, connection)
        out[i] = value
    return out


@functools.cache
def _converters(vendor: str, model: Any, names: tuple[str, ...]) -> list[tuple[int, Any, Any]]:
    found = []
    for i, name in enumerate(names):
        col = model._meta.get_field(name).get_col(model._meta.db_table)
        convs = connection.ops.get_db_converters(col) + col.output_field.get_db_converters(
            connection
        )
        if convs:
            found.append((i, col, convs))
    return found


@functools.cache
def _session_sql(vendor: str) -> str:
    def cols(alias: str, model: Any) -> str:
        return ", ".join(f'{alias}."{f.column}"' for f in model._meta.concrete_fields)

    if vendor == "postgresql":
        perms = "coalesce(jsonb_agg(r.permissions), '[]'::jsonb)::text"
    else:
        perms = "coalesce(json_group_array(r.permissions), '[]')"
    # only model metadata is formatted in; the token digest is a bound parameter
    text = (
        f"SELECT {cols('s', UserSession)}, {cols('u', User)}, {cols('o', Organisation)}, "  # noqa: S608
        f"(SELECT {perms} FROM {Role._meta.db_table} r "
        f"JOIN {RoleGrant._meta.db_table} g ON g.role_id = r.id "
        "WHERE g.user_id = u.id AND g.revoked_at IS NULL) "
        f"FROM {UserSession._meta.db_table} s "
        f"JOIN {User._meta.db_table} u ON u.id = s.user_id "
        f"JOIN {Organisation._meta.db_table} o ON o.id = u.organisation_id "
        "WHERE s.token_hash = %s AND s.kind = %s"
    )
    return text
