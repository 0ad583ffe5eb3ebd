"""Reads for identity and access: always scoped to what the actor may see."""

from __future__ import annotations

from typing import Any

import django_filters as filters
from django.db.models import Q, QuerySet

from custodesk.core import access

from . import permissions as perms
from .models import LoginDevice, Organisation, Role, RoleGrant, User, UserSession


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


def user_list(*, actor: User, filters: dict[str, Any] | None = None) -> QuerySet[User]:
    access.require(actor, perms.USER_VIEW)
    qs = User.objects.select_related("organisation").filter(
        organisation__in=visible_organisations(actor)
    )
    fs = UserFilter(filters or {}, queryset=qs)
    return fs.qs.order_by("username")


def user_get(*, actor: User, public_id: Any) -> User:
    from .services import _visible_user

    if str(public_id) != str(actor.public_id):
        access.require(actor, perms.USER_VIEW)
    return _visible_user(actor, public_id)


def user_grants(*, actor: User, user: User, include_revoked: bool = False) -> QuerySet[RoleGrant]:
    qs = RoleGrant.objects.select_related("role", "granted_by", "revoked_by").filter(user=user)
    if not include_revoked:
        qs = qs.filter(revoked_at__isnull=True)
    return qs.order_by("role__code", "-granted_at")


def role_list(*, actor: User) -> QuerySet[Role]:
    access.require(actor, perms.ROLE_VIEW)
    return Role.objects.filter(organisation_id=actor.organisation_id).order_by("code")


def role_get(*, actor: User, public_id: Any) -> Role:
    from .services import _visible_role

    access.require(actor, perms.ROLE_VIEW)
    return _visible_role(actor, public_id)


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
    from .services import token_digest

    if not token:
        return None
    return (
        UserSession.objects.select_related("user__organisation")
        .filter(token_hash=token_digest(token), kind=UserSession.Kind.API)
        .first()
    )
