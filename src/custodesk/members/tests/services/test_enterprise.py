"""REG-ENT through the services: apply with a real zip, the counter approves or rejects;
bad input refused with the field named and nothing kept."""

from __future__ import annotations

import io
import json
import logging
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.core import mail

from custodesk.core.errors import PermissionDenied, ValidationFailed
from custodesk.identity.errors import InvalidVerificationCode
from custodesk.identity.models import Organisation, User
from custodesk.members import selectors, services, uploads
from custodesk.members.errors import ApplicationNotPending
from custodesk.members.models import EnterpriseApplication, MemberProfile
from custodesk.members.tests.helpers import (
    code_for,
    credentials,
    delivered_sms,
    enterprise_fields,
    real_zip,
)

AuditEntry = apps.get_model("audit", "AuditEntry")  # read the rows, as a grep would

pytestmark = pytest.mark.django_db


@pytest.fixture
def counter(make_user: Any) -> Any:
    return make_user("counter1", roles=["counter"])


def apply(clock: Any, *, archive: bytes | None = None, name: str = "docs.zip", **over: Any) -> Any:
    fields = enterprise_fields(**over)
    try:
        challenge, code = code_for(fields["mobile"], clock=clock)
    except ValidationFailed:  # a bad mobile gets no code; the form is refused first
        challenge, code = uuid.uuid4(), "000000"
    return services.enterprise_apply(
        form=services.EnterpriseForm(**fields),
        archive=io.BytesIO(real_zip() if archive is None else archive),
        archive_name=name,
        challenge_id=challenge,
        sms_code=code,
        language_code="en",
        now=clock.now(),
    )


def stored_files() -> set[Path]:
    root = Path(settings.VAR_DIR) / uploads.UPLOAD_SUBDIR
    return set(root.glob("*")) if root.exists() else set()


def test_apply_approve_creates_the_member_and_sends_the_credentials(
    clock: Any, counter: Any, caplog: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    app = apply(clock)
    assert app.status == "submitted" and app.archive_kind == "zip"
    path = uploads.absolute(app.archive_path)
    assert path.read_bytes() == real_zip()  # kept as sent, not extracted
    import hashlib

    assert app.archive_sha256 == hashlib.sha256(real_zip()).hexdigest()

    done = services.application_approve(
        actor=counter, application_id=app.public_id, now=clock.now()
    )
    assert done.status == "approved" and done.reviewer == counter
    member = MemberProfile.objects.get(id_number=app.id_number)
    assert member.member_type == "enterprise" and member.organisation.kind == "member"
    assert member.organisation.sign_in_factor == "totp"
    admin = User.objects.get(organisation=member.organisation)
    assert admin.must_change_password and "admin" in admin.role_codes()

    sms = delivered_sms("+8613800000001", "members.enterprise_approved", clock=clock)
    username, password = credentials(sms)
    assert username == "pearl.admin" == admin.username
    assert admin.check_password(password)
    email = next(m for m in mail.outbox if "li.na@pearl.example" in m.to)
    assert password in email.body and username in email.body

    # never in a log line, an audit row or what staff are shown
    assert password not in caplog.text and username not in caplog.text
    rows = json.dumps([
        {f.name: str(getattr(e, f.name)) for f in AuditEntry._meta.fields}
        for e in AuditEntry.objects.all()
    ])  # fmt: skip
    assert password not in rows
    staff_view = json.dumps(selectors.application_row(done), default=str)
    assert password not in staff_view and username not in staff_view
    assert username not in rows  # not even identity's row of the new user


def test_counter_rejects_with_a_reason_sent_to_the_applicant(clock: Any, counter: Any) -> None:
    app = apply(clock)
    with pytest.raises(ValidationFailed) as err:
        services.application_reject(
            actor=counter, application_id=app.public_id, reason="  ", now=clock.now()
        )
    assert err.value.errors[0].field == "reason"
    done = services.application_reject(
        actor=counter,
        application_id=app.public_id,
        reason="The business licence scan is unreadable.",
        now=clock.now(),
    )
    assert done.status == "rejected" and not MemberProfile.objects.exists()
    sms = delivered_sms("+8613800000001", "members.enterprise_rejected", clock=clock)
    assert "The business licence scan is unreadable." in sms
    assert any("unreadable" in m.body for m in mail.outbox)
    with pytest.raises(ApplicationNotPending):
        services.application_approve(actor=counter, application_id=app.public_id, now=clock.now())
    # rejected: the same company may apply again
    again = apply(clock, id_number=app.id_number)
    assert again.status == "submitted"


def test_only_the_counter_reviews(clock: Any, make_user: Any) -> None:
    app = apply(clock)
    clerk = make_user("clerk")
    with pytest.raises(PermissionDenied):
        services.application_approve(actor=clerk, application_id=app.public_id, now=clock.now())
    with pytest.raises(PermissionDenied):
        selectors.applications(actor=clerk)


def test_duplicate_id_numbers_are_refused(clock: Any, counter: Any) -> None:
    app = apply(clock)
    with pytest.raises(ValidationFailed) as err:
        apply(clock, id_number=app.id_number, desired_username="other.admin")
    assert (err.value.errors[0].field, err.value.errors[0].rule) == ("id_number", "duplicate")
    # the organisation code inside the USCC is the same company
    org_code = f"{app.id_number[8:16]}-{app.id_number[16]}"
    with pytest.raises(ValidationFailed) as err:
        apply(clock, id_type="org_code", id_number=org_code, desired_username="third.admin")
    assert err.value.errors[0].rule == "duplicate"
    services.application_approve(actor=counter, application_id=app.public_id, now=clock.now())
    with pytest.raises(ValidationFailed) as err:
        apply(clock, id_number=app.id_number, desired_username="fourth.admin")
    assert err.value.errors[0].rule == "duplicate"
    assert EnterpriseApplication.objects.count() == 1


@pytest.mark.parametrize(
    ("over", "archive", "field", "rule"),
    [
        ({}, b"just some text, renamed to .zip\n" * 10, "archive", "archive_type"),
        ({}, b"\0" * (uploads.MAX_ARCHIVE_BYTES + 1), "archive", "too_large"),
        ({"id_number": "91350100M000100Y44"}, None, "id_number", "checksum"),
        ({"id_number": "91350100M000100Y4Z"}, None, "id_number", "format"),
        ({"id_type": "org_code", "id_number": "19220382-2"}, None, "id_number", "checksum"),
        ({"mobile": "12345"}, None, "mobile", "mobile"),
        ({"desired_username": "9lives"}, None, "desired_username", "pattern"),
        ({"company_name": ""}, None, "company_name", "required"),
    ],
)
def test_bad_input_names_the_field_and_keeps_nothing(
    clock: Any, over: dict[str, str], archive: bytes | None, field: str, rule: str
) -> None:
    before = stored_files()
    with pytest.raises(ValidationFailed) as err:
        apply(clock, archive=archive, **over)
    assert (field, rule) in [(e.field, e.rule) for e in err.value.errors]
    assert not EnterpriseApplication.objects.exists()
    assert stored_files() == before


def test_an_archive_of_exactly_5_mb_is_accepted(clock: Any) -> None:
    small = real_zip()  # data before a zip (as in a self-extractor) leaves it a zip
    data = b"\0" * (uploads.MAX_ARCHIVE_BYTES - len(small)) + small
    app = apply(clock, archive=data)
    assert app.archive_size == uploads.MAX_ARCHIVE_BYTES and app.archive_kind == "zip"


def test_a_rar_is_recognised_by_its_signature(clock: Any) -> None:
    rar5 = b"Rar!\x1a\x07\x01\x00" + b"\0" * 64
    app = apply(clock, archive=rar5, name="documents.zip")
    assert app.archive_kind == "rar"
    assert uploads.download_name(app.archive_name, app.archive_kind) == "documents.rar"


@pytest.mark.parametrize("case", ["replayed", "expired", "wrong"])
def test_sms_code_problems_keep_nothing(clock: Any, case: str) -> None:
    fields = enterprise_fields()
    challenge, code = code_for(fields["mobile"], clock=clock)
    form = services.EnterpriseForm(**fields)

    def submit(form: Any, sms_code: str) -> Any:
        return services.enterprise_apply(
            form=form, archive=io.BytesIO(real_zip()), archive_name="d.zip",
            challenge_id=challenge, sms_code=sms_code, now=clock.now(),
        )  # fmt: skip

    expected = {"replayed": "code_used", "expired": "code_expired", "wrong": "code_invalid"}[case]
    if case == "replayed":
        submit(form, code)
        form = services.EnterpriseForm(**enterprise_fields(desired_username="second.one"))
    elif case == "expired":
        clock.advance(minutes=5, seconds=1)
    before = stored_files()
    count = EnterpriseApplication.objects.count()
    with pytest.raises(InvalidVerificationCode) as err:
        submit(form, "000000" if case == "wrong" and code != "000000" else code)
    assert (err.value.field, err.value.rule) == ("sms_code", expected)
    assert EnterpriseApplication.objects.count() == count
    assert stored_files() == before
    assert Organisation.objects.filter(kind="member").count() == 0
