"""The members module's demo step (``custodesk demo``): a counter clerk, one approved
enterprise member, one individual member and an application waiting for review.

The registrations skip the SMS code (there is no phone to read it from); everything
else goes through the services.  The members' login names and temporary passwords go
out through the outbox like any other (the embedded SMS gateway's files in var/outbox)."""

from __future__ import annotations

import io
import zipfile

from custodesk.approvals import services as approvals
from custodesk.core.modules import DemoRun
from custodesk.identity import services as identity
from custodesk.identity.models import Role, User

from . import services, uploads
from .services import enterprise as ent
from .services import individual as ind

DEMO_PASSWORD = "BackOffice-2026"  # noqa: S105 - identity's demo password, demo databases only


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("business_licence.pdf", b"%PDF-1.4 demo scan\n")
        archive.writestr("legal_representative_id.jpg", b"\xff\xd8\xff\xe0 demo scan")
    return buffer.getvalue()


def _counter(admin: User, run: DemoRun) -> User:
    user, _ = identity.user_create(
        actor=admin,
        username="counter",
        full_name="Carl Counter",
        email="counter@example.com",
        password=DEMO_PASSWORD,
        must_change_password=False,
        now=run.now,
    )
    role = Role.objects.get(organisation=admin.organisation, code="counter")
    sub = approvals.submit(
        actor=admin,
        action_type="identity.role_grant",
        payload={"user_id": str(user.public_id), "role_id": str(role.public_id)},
        now=run.now,
    )
    second = User.objects.filter(username="admin2").first()
    if not sub.executed and second is not None:  # identity's demo is in dual-admin mode
        approvals.approve(actor=second, request_id=sub.request.public_id, now=run.now)
    user.forget_permissions()
    return user


def _apply(run: DemoRun, **fields: str) -> object:
    form = services.EnterpriseForm(**fields)
    clean, _ = ent.enterprise_check(form, now=run.now)
    stored = uploads.store_archive(io.BytesIO(_zip()), "documents.zip")
    return ent._save(clean, stored, "zh-hans", now=run.now)


def seed(run: DemoRun) -> None:
    admin = run.actors["admin"]
    counter = _counter(admin, run)
    run.actors["counter"] = counter
    approved = _apply(
        run,
        id_type="uscc",
        id_number="91350100M000100Y43",
        company_name="福州明珠贸易有限公司",
        legal_representative="陈伟",
        contact_name="李娜",
        mobile="+8613800138000",
        email="lina@mingzhu.example",
        address="福州市鼓楼区五四路88号",
        desired_username="mingzhu.admin",
    )
    services.application_approve(
        actor=counter,
        application_id=approved.public_id,  # type: ignore[attr-defined]
        now=run.now,
    )
    _apply(
        run,
        id_type="org_code",
        id_number="19220382-1",
        company_name="深圳华南物产有限公司",
        legal_representative="黄强",
        contact_name="周敏",
        mobile="+8613900139000",
        address="深圳市福田区深南大道1000号",
        desired_username="huanan.admin",
    )
    form = services.IndividualForm(
        name="王芳",
        id_type="cn_ric",
        id_number="11010519491231002X",
        bank_code="102",
        branch_code="102100000011",
        card_number="6222020200112204330",
        phone="+8613700137000",
    )
    clean, _ = ind.individual_check(form, now=run.now)
    ind._create(clean, "zh-hans", now=run.now)


def notes() -> str:
    return (
        "Members: 'counter' (password as above) reviews enterprise registrations under "
        "Custody → Registration applications (one waits). The enterprise member "
        "(mingzhu.admin) and the individual member got their login name and temporary "
        "password by SMS: read them in var/outbox/ (or the console's test phone). Public "
        "pages: /console/register/ and /console/forgot/."
    )
