"""Reads of the members module (other modules use these)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet

from custodesk.core import access
from custodesk.core.errors import NotFound
from custodesk.identity.models import Organisation

from . import permissions as perms
from .models import BoundCard, EnterpriseApplication, MemberProfile


def profile_for_org(org: Organisation | int) -> MemberProfile | None:
    """The member profile of an organisation (None: not a member organisation)."""
    org_id = org if isinstance(org, int) else org.pk
    return (
        MemberProfile.objects.select_related("organisation").filter(organisation_id=org_id).first()
    )


def current_card(member: MemberProfile) -> BoundCard | None:
    return BoundCard.objects.filter(member=member, status=BoundCard.Status.CURRENT).first()


def applications(*, actor: Any, status: str | None = None) -> QuerySet[EnterpriseApplication]:
    """Enterprise applications for the counter, oldest waiting first."""
    access.require(actor, perms.APPLICATION_VIEW)
    rows = EnterpriseApplication.objects.select_related("reviewer", "member__organisation")
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("submitted_at", "pk")


def application_get(*, actor: Any, public_id: uuid.UUID) -> EnterpriseApplication:
    access.require(actor, perms.APPLICATION_VIEW)
    app = (
        EnterpriseApplication.objects.select_related("reviewer", "member__organisation")
        .filter(public_id=public_id)
        .first()
    )
    if app is None:
        raise NotFound(object="enterprise_application")
    return app


def application_row(app: EnterpriseApplication) -> dict[str, Any]:
    """What staff see of an application (the desired login name is not shown)."""
    return {
        "public_id": app.public_id,
        "status": app.status,
        "id_type": app.id_type,
        "id_number": app.id_number,
        "company_name": app.company_name,
        "legal_representative": app.legal_representative,
        "contact_name": app.contact_name,
        "mobile": app.mobile,
        "email": app.email,
        "address": app.address,
        "language": app.language,
        "archive": {
            "name": app.archive_name,
            "size": app.archive_size,
            "sha256": app.archive_sha256,
            "kind": app.archive_kind,
        },
        "submitted_at": app.submitted_at,
        "reviewed_at": app.reviewed_at,
        "reviewer": app.reviewer.username if app.reviewer else None,
        "reason": app.reason,
        "member_id": app.member.public_id if app.member else None,
        "organisation_code": app.member.organisation.code if app.member else None,
    }
