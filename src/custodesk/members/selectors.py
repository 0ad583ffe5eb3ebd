"""Reads of the members module (other modules use these)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Q, QuerySet

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


def members(
    *, actor: Any, member_type: str | None = None, q: str | None = None
) -> QuerySet[MemberProfile]:
    """Custody members for the bank's staff (by name, ID number or organisation code)."""
    access.require(actor, perms.MEMBER_VIEW)
    rows = MemberProfile.objects.select_related("organisation")
    if member_type:
        rows = rows.filter(member_type=member_type)
    if q:
        rows = rows.filter(
            Q(name__icontains=q) | Q(id_number__icontains=q) | Q(organisation__code__icontains=q)
        )
    return rows.order_by("organisation__code")


def member_get(*, actor: Any, public_id: uuid.UUID) -> MemberProfile:
    access.require(actor, perms.MEMBER_VIEW)
    member = (
        MemberProfile.objects.select_related("organisation").filter(public_id=public_id).first()
    )
    if member is None:
        raise NotFound(object="member")
    return member


def member_row(member: MemberProfile) -> dict[str, Any]:
    """What staff see of a member: the bound card masked."""
    card = current_card(member)
    return {
        "public_id": member.public_id,
        "organisation_code": member.organisation.code,
        "member_type": member.member_type,
        "id_type": member.id_type,
        "id_number": member.id_number,
        "name": member.name,
        "mobile": member.mobile,
        "email": member.email,
        "status": member.status,
        "created_at": member.created_at,
        "card": (
            {
                "bank_code": card.bank_code,
                "branch_code": card.branch_code,
                "number": card.masked_number,
                "bound_at": card.bound_at,
            }
            if card is not None
            else None
        ),
    }
