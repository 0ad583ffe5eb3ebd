from __future__ import annotations

from typing import Any

import django_filters as filters
from django.db.models import QuerySet

from custodesk.core import access
from custodesk.core.errors import NotFound

from . import permissions as perms
from .models import AuditEntry


class AuditFilter(filters.FilterSet):
    action = filters.CharFilter(field_name="action", lookup_expr="startswith")
    actor = filters.CharFilter(field_name="actor_username", lookup_expr="iexact")
    object_type = filters.CharFilter(field_name="object_type")
    object_id = filters.CharFilter(field_name="object_id")
    request_id = filters.CharFilter(field_name="request_id")
    approval_request_id = filters.CharFilter(field_name="approval_request_id")
    ip = filters.CharFilter(field_name="ip", lookup_expr="startswith")
    since = filters.IsoDateTimeFilter(field_name="at", lookup_expr="gte")
    until = filters.IsoDateTimeFilter(field_name="at", lookup_expr="lt")
    date_from = filters.DateFilter(field_name="at", lookup_expr="date__gte")
    date_to = filters.DateFilter(field_name="at", lookup_expr="date__lte")

    class Meta:
        model = AuditEntry
        fields = ["action"]


def audit_list(
    *, actor: access.Principal, filters: dict[str, Any] | None = None
) -> QuerySet[AuditEntry]:
    """Operation records the actor may see: staff see all, others their organisation's."""
    access.require(actor, perms.VIEW)
    qs = AuditEntry.objects.all()
    if not actor.is_staff_member():
        qs = qs.filter(organisation_id=actor.organisation_id)
    return AuditFilter(filters or {}, queryset=qs).qs.order_by("-seq")


def audit_get(*, actor: access.Principal, public_id: Any) -> AuditEntry:
    entry = audit_list(actor=actor).filter(public_id=public_id).first()
    if entry is None:
        raise NotFound(object="audit_entry")
    return entry
