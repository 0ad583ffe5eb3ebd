"""The console pages: the public wizards (REG-ENT, REG-IND), FORGOT and the counter."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from custodesk.members import uploads
from custodesk.members.models import EnterpriseApplication, MemberProfile
from custodesk.members.tests.helpers import (
    BAD_CARD,
    BRANCH,
    GOOD_CARD,
    credentials,
    delivered_sms,
    enterprise_fields,
    individual_fields,
    real_zip,
)
from custodesk.testing.fixtures import PASSWORD
from custodesk.testing.governance import delivered_code

pytestmark = pytest.mark.django_db


def url(name: str, **kw: Any) -> str:
    return reverse(f"console:{name}", kwargs=kw or None)


def signed_in(username: str) -> Client:
    client = Client()
    answer = client.post("/console/sign-in/", {"username": username, "password": PASSWORD})
    assert answer.status_code == 302, answer.content.decode()[:500]
    return client


def pending_files() -> list[Path]:
    root = Path(settings.VAR_DIR) / uploads.PENDING_SUBDIR
    return list(root.glob("*")) if root.exists() else []


def test_the_sign_in_page_links_registration_and_recovery(client: Client) -> None:
    page = client.get("/console/sign-in/").content.decode()
    assert url("member_register") in page and url("member_forgot") in page


def test_public_pages_need_no_sign_in(client: Client) -> None:
    for name in ("member_register", "member_register_enterprise", "member_register_individual",
                 "member_forgot"):  # fmt: skip
        assert client.get(url(name)).status_code == 200, name
    assert client.get(url("member_forgot_kind", kind="individual")).status_code == 200
    assert client.get(url("member_forgot_kind", kind="other")).status_code == 404
    # the counter's pages are not public
    assert client.get(url("member_applications")).status_code == 302


def enterprise_wizard(client: Client, clock: Any, **over: Any) -> Any:
    fields = enterprise_fields(**over)
    step1 = client.post(
        url("member_register_enterprise"),
        {**fields, "archive": SimpleUploadedFile("docs.zip", real_zip(), "application/zip")},
    )
    assert step1.status_code == 302, step1.content.decode()[:2000]
    confirm = client.get(step1["Location"])
    assert fields["company_name"] in confirm.content.decode()
    clock.advance(seconds=61)
    client.post(url("member_register_enterprise_confirm"), {"action": "send"})
    code = delivered_code(fields["mobile"], clock=clock)
    done = client.post(
        url("member_register_enterprise_confirm"), {"action": "submit", "sms_code": code}
    )
    assert done.status_code == 302 and done["Location"] == url("member_register_done")
    return fields


def test_enterprise_wizard_and_the_counter(client: Client, clock: Any, make_user: Any) -> None:
    fields = enterprise_wizard(client, clock)
    app = EnterpriseApplication.objects.get()
    assert app.id_number == fields["id_number"] and not pending_files()
    assert "counter" in client.get(url("member_register_done")).content.decode()

    make_user("counter1", roles=["counter"])
    staff = signed_in("counter1")
    page = staff.get(url("member_applications"))
    assert page.status_code == 200 and fields["company_name"] in page.content.decode()
    detail = staff.get(url("member_application", public_id=app.public_id)).content.decode()
    assert "pearl.admin" not in detail  # the wished login name is not shown to staff
    archive = staff.get(url("member_application_archive", public_id=app.public_id))
    assert archive["Content-Disposition"].startswith("attachment;")
    assert b"".join(archive.streaming_content) == real_zip()  # type: ignore[attr-defined]
    approved = staff.post(url("member_application_approve", public_id=app.public_id), follow=True)
    assert "pearl.admin" not in approved.content.decode()
    assert MemberProfile.objects.filter(id_number=app.id_number).exists()
    username, password = credentials(
        delivered_sms(fields["mobile"], "members.enterprise_approved", clock=clock)
    )
    assert username not in approved.content.decode() and password not in approved.content.decode()


def test_counter_rejects_in_the_console(client: Client, clock: Any, make_user: Any) -> None:
    enterprise_wizard(client, clock)
    app = EnterpriseApplication.objects.get()
    make_user("counter1", roles=["counter"])
    staff = signed_in("counter1")
    page = staff.post(
        url("member_application", public_id=app.public_id),
        {"action": "reject", "reason": "Seal missing on the licence."},
    )
    assert page.status_code == 302
    app.refresh_from_db()
    assert app.status == "rejected" and app.reason == "Seal missing on the licence."


def test_a_clerk_cannot_see_applications(clock: Any, make_user: Any) -> None:
    make_user("clerk")
    staff = signed_in("clerk")
    assert staff.get(url("member_applications")).status_code == 403


def test_the_wizard_refuses_a_renamed_text_file(client: Client) -> None:
    page = client.post(
        url("member_register_enterprise"),
        {**enterprise_fields(), "archive": SimpleUploadedFile("docs.zip", b"hello\n" * 50)},
    )
    assert page.status_code == 200
    assert "not a zip or rar archive" in page.content.decode()
    assert not pending_files() and not EnterpriseApplication.objects.exists()


def test_the_wizard_stops_reading_an_archive_past_5_mb(client: Client) -> None:
    big = SimpleUploadedFile("docs.zip", b"\0" * (uploads.MAX_ARCHIVE_BYTES + 1))
    page = client.post(url("member_register_enterprise"), {**enterprise_fields(), "archive": big})
    assert page.status_code == 200 and "larger than 5 MB" in page.content.decode()
    assert not pending_files()


def test_the_wizard_refuses_a_declared_huge_body_unread(client: Client) -> None:
    big = SimpleUploadedFile("docs.zip", b"\0" * (uploads.MAX_ARCHIVE_BYTES + 400_000))
    page = client.post(url("member_register_enterprise"), {**enterprise_fields(), "archive": big})
    assert page.status_code == 413 and "larger than 5 MB" in page.content.decode()
    assert not pending_files()


def test_individual_wizard_with_a_failing_card_then_a_good_one(client: Client, clock: Any) -> None:
    def attempt(card: str) -> Any:
        fields = individual_fields(card_number=card)
        fields.pop("bank_code")
        step1 = client.post(url("member_register_individual"), fields)
        assert step1.status_code == 302, step1.content.decode()[:3000]
        clock.advance(seconds=61)
        client.post(url("member_register_individual_confirm"), {"action": "send"})
        code = delivered_code(fields["phone"], clock=clock)
        return client.post(
            url("member_register_individual_confirm"), {"action": "submit", "sms_code": code}
        )

    failed = attempt(BAD_CARD)
    assert failed["Location"] == url("member_register_individual")
    again = client.get(failed["Location"]).content.decode()
    assert "another card" in again and BRANCH in again  # the rest of the form is kept
    assert not MemberProfile.objects.exists()
    done = attempt(GOOD_CARD)
    assert done["Location"] == url("member_register_done")
    assert MemberProfile.objects.get().member_type == "individual"


def test_forgot_enterprise_page(client: Client, clock: Any, make_user: Any) -> None:
    fields = enterprise_wizard(client, clock)
    make_user("counter1", roles=["counter"])
    from custodesk.members import services

    counter = make_user("counter2", roles=["counter"])
    services.application_approve(
        actor=counter, application_id=EnterpriseApplication.objects.get().public_id,
        now=clock.now(),
    )  # fmt: skip
    form = {"id_type": "uscc", "id_number": fields["id_number"], "mobile": fields["mobile"]}
    clock.advance(seconds=61)
    client.post(url("member_forgot_kind", kind="enterprise"), {**form, "action": "send"})
    code = delivered_code(fields["mobile"], clock=clock)
    page = client.post(
        url("member_forgot_kind", kind="enterprise"),
        {**form, "action": "submit", "sms_code": code},
    )
    assert page.status_code == 200 and "pearl.admin" in page.content.decode()
    assert "temporary password" in delivered_sms(
        fields["mobile"], "members.password_reset", clock=clock
    )


def test_the_counter_menu(client: Client, make_user: Any) -> None:
    make_user("counter1", roles=["counter"])
    make_user("clerk")
    counter_home = signed_in("counter1").get("/console/").content.decode()
    assert url("member_applications") in counter_home and url("member_list") in counter_home
    clerk_home = signed_in("clerk").get("/console/").content.decode()
    assert url("member_applications") not in clerk_home
    assert signed_in("counter1").get(url("member_list"), {"q": "x" * 100}).status_code == 200
