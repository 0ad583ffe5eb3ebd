"""REG-ENT: an enterprise applies (public), the bank's counter approves or rejects."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import IO, Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from custodesk.audit.services import record
from custodesk.core import access
from custodesk.core.errors import NotFound, ValidationFailed
from custodesk.identity.models import User
from custodesk.notify import services as notify

from .. import messages, uploads
from .. import permissions as perms
from ..errors import AlreadyMember, ApplicationNotPending
from ..models import ENTERPRISE_ID_TYPES, EnterpriseApplication, MemberProfile, MemberType
from .common import (
    PURPOSE_REGISTER,
    Checker,
    check_code,
    duplicate_error,
    id_in_use,
    language,
    login_name_free,
    open_member_org,
)


@dataclass(frozen=True)
class EnterpriseForm:
    id_type: str
    id_number: str
    company_name: str
    legal_representative: str
    contact_name: str
    mobile: str
    address: str
    desired_username: str
    email: str = ""
    member_type: str = MemberType.ENTERPRISE


def enterprise_check(form: EnterpriseForm, *, now: dt.datetime) -> tuple[dict[str, str], list[Any]]:
    """The form's fields checked and normalised (the confirmation page shows them):
    raises ValidationFailed naming every bad field; returns the clean values and the
    warnings."""
    c = Checker()
    c.choice("member_type", form.member_type, [MemberType.ENTERPRISE])
    id_type = c.choice("id_type", form.id_type, ENTERPRISE_ID_TYPES)
    clean = {
        "id_type": id_type,
        "id_number": c.id_number("id_number", id_type, form.id_number, today=now.date()),
        "company_name": c.text("company_name", form.company_name, max_length=200),
        "legal_representative": c.text(
            "legal_representative", form.legal_representative, max_length=100
        ),
        "contact_name": c.text("contact_name", form.contact_name, max_length=100),
        "mobile": c.mobile("mobile", form.mobile),
        "email": c.email("email", form.email),
        "address": c.text("address", form.address, max_length=300),
        "desired_username": c.login_name("desired_username", form.desired_username),
    }
    c.done()
    if id_in_use(clean["id_type"], clean["id_number"]):
        raise duplicate_error()
    if not login_name_free(clean["desired_username"]):
        raise ValidationFailed.single(
            "desired_username", "unique", _("This login name is already taken.")
        )
    return clean, c.warnings


def enterprise_apply(
    *,
    form: EnterpriseForm,
    archive: IO[bytes] | None,
    archive_name: str,
    challenge_id: Any,
    sms_code: str,
    language_code: str = "",
    now: dt.datetime,
) -> EnterpriseApplication:
    """Submit an application: the fields, the archive (stored, never extracted) and the
    SMS code sent to the registered mobile (purpose ``member.register``).  Bad input —
    fields, archive, code — is refused before anything is kept; the code is checked
    last, so a refused form does not use it up."""
    clean, _warnings = enterprise_check(form, now=now)
    stored = uploads.store_archive(archive, archive_name)
    try:
        check_code(
            challenge_id=challenge_id,
            purpose=PURPOSE_REGISTER,
            phone=clean["mobile"],
            code=sms_code,
            now=now,
        )
        return _save(clean, stored, language(language_code), now=now)
    except BaseException:
        uploads.discard(stored)
        raise


@transaction.atomic(durable=True)
def _save(
    clean: dict[str, str], stored: uploads.StoredArchive, lang: str, *, now: dt.datetime
) -> EnterpriseApplication:
    if id_in_use(clean["id_type"], clean["id_number"]):
        raise duplicate_error()
    try:
        with transaction.atomic():
            app = EnterpriseApplication.objects.create(
                **clean,
                language=lang,
                archive_path=stored.path,
                archive_name=stored.name,
                archive_size=stored.size,
                archive_sha256=stored.sha256,
                archive_kind=stored.kind,
                submitted_at=now,
            )
    except IntegrityError:
        raise duplicate_error() from None
    record(
        actor=None,
        action="member.application.submit",
        object_type="enterprise_application",
        object_id=app.public_id,
        object_repr=app.company_name,
        after=_snapshot(app),
        now=now,
    )
    return app


def _snapshot(app: EnterpriseApplication) -> dict[str, Any]:
    """What an audit row keeps of an application: never the login name."""
    return {
        "status": app.status,
        "id_type": app.id_type,
        "id_number": app.id_number,
        "company_name": app.company_name,
        "archive_sha256": app.archive_sha256,
        "archive_size": app.archive_size,
        "archive_kind": app.archive_kind,
    }


def _pending(actor: User, application_id: uuid.UUID) -> EnterpriseApplication:
    access.require(actor, perms.APPLICATION_REVIEW)
    app = EnterpriseApplication.objects.select_for_update().filter(public_id=application_id).first()
    if app is None:
        raise NotFound(object="enterprise_application")
    if app.status != EnterpriseApplication.Status.SUBMITTED:
        raise ApplicationNotPending(state=app.status)
    return app


def _tell(app: EnterpriseApplication, template: str, *, now: dt.datetime, **kw: Any) -> None:
    """SMS to the registered mobile and, if given, e-mail, in the applicant's language."""
    targets = [("sms", app.mobile)] + ([("email", app.email)] if app.email else [])
    for channel, recipient in targets:
        notify.enqueue(
            channel=channel,
            template=template,
            recipient=recipient,
            language=app.language,
            now=now,
            **kw,
        )


@transaction.atomic(durable=True)
def application_approve(
    *, actor: User, application_id: uuid.UUID, now: dt.datetime
) -> EnterpriseApplication:
    """The counter approves: the member organisation (sign-in with TOTP), its profile
    and first admin user are created; the login name and temporary password go to the
    applicant through the outbox only."""
    app = _pending(actor, application_id)
    if MemberProfile.objects.filter(id_type=app.id_type, id_number=app.id_number).exists():
        raise AlreadyMember()
    org, user, password = open_member_org(
        actor=actor,
        prefix="E",
        name=app.company_name,
        sign_in_factor="totp",
        username=app.desired_username,
        full_name=app.contact_name,
        email=app.email,
        phone=app.mobile,
        language=app.language,
        now=now,
    )
    member = MemberProfile.objects.create(
        organisation=org,
        member_type=MemberType.ENTERPRISE,
        id_type=app.id_type,
        id_number=app.id_number,
        name=app.company_name,
        legal_representative=app.legal_representative,
        contact_name=app.contact_name,
        mobile=app.mobile,
        email=app.email,
        address=app.address,
        language=app.language,
        created_at=now,
    )
    before = _snapshot(app)
    app.status = EnterpriseApplication.Status.APPROVED
    app.reviewer = actor
    app.reviewed_at = now
    app.member = member
    app.save(update_fields=["status", "reviewer", "reviewed_at", "member"])
    record(
        actor=actor,
        action="member.application.approve",
        object_type="enterprise_application",
        object_id=app.public_id,
        object_repr=app.company_name,
        before=before,
        after={**_snapshot(app), "member_id": str(member.public_id), "organisation": org.code},
        organisation_id=org.pk,
        organisation_code=org.code,
        now=now,
    )
    _tell(
        app,
        messages.ENTERPRISE_APPROVED.code,
        context={"company": app.company_name},
        secrets={"username": user.username, "password": password},
        now=now,
    )
    return app


@transaction.atomic(durable=True)
def application_reject(
    *, actor: User, application_id: uuid.UUID, reason: str, now: dt.datetime
) -> EnterpriseApplication:
    """The counter rejects with a reason, which the applicant is sent (SMS, e-mail)."""
    reason = (reason or "").strip()
    if not reason or len(reason) > 500:
        raise ValidationFailed.single(
            "reason", "required", _("Give the reason (at most 500 characters).")
        )
    app = _pending(actor, application_id)
    before = _snapshot(app)
    app.status = EnterpriseApplication.Status.REJECTED
    app.reviewer = actor
    app.reviewed_at = now
    app.reason = reason
    app.save(update_fields=["status", "reviewer", "reviewed_at", "reason"])
    record(
        actor=actor,
        action="member.application.reject",
        object_type="enterprise_application",
        object_id=app.public_id,
        object_repr=app.company_name,
        before=before,
        after=_snapshot(app),
        reason=reason,
        now=now,
    )
    _tell(
        app,
        messages.ENTERPRISE_REJECTED.code,
        context={"company": app.company_name, "reason": reason},
        now=now,
    )
    return app
