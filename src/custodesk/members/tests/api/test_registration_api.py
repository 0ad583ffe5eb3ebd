"""REG-ENT, REG-IND and FORGOT over real HTTP (the live server), with the counter's
review; bad input answered with a problem naming the field, nothing kept."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.core import mail

from custodesk.members import uploads
from custodesk.members.models import BoundCard, CardAttempt, EnterpriseApplication, MemberProfile
from custodesk.members.tests.helpers import (
    BAD_CARD,
    GOOD_CARD,
    credentials,
    delivered_sms,
    ensure_directory,
    enterprise_fields,
    individual_fields,
    real_zip,
    ric,
)
from custodesk.testing.governance import delivered_code

AuditEntry = apps.get_model("audit", "AuditEntry")  # read the rows, as a grep would

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _directory(transactional_db: Any) -> None:
    ensure_directory()


def sms_code(api: Any, phone: str, clock: Any, purpose: str = "register") -> dict[str, str]:
    clock.advance(seconds=61)
    answer = api.post("/members/sms-codes", json={"purpose": purpose, "phone": phone})
    assert answer.status_code == 201, answer.text
    return {
        "challenge_id": answer.json()["challenge_id"],
        "sms_code": delivered_code(phone, clock=clock),
    }


def apply(api: Any, clock: Any, *, archive: bytes | None = None, **over: Any) -> Any:
    fields = enterprise_fields(**over)
    data = {**fields, **sms_code(api, "+8613800000001", clock)}
    files = {
        "archive": ("documents.zip", real_zip() if archive is None else archive, "application/zip")
    }
    return api.post("/members/registrations/enterprise", data=data, files=files)


def stored_files() -> set[Path]:
    root = Path(settings.VAR_DIR) / uploads.UPLOAD_SUBDIR
    return set(root.glob("*")) if root.exists() else set()


def problem(answer: Any) -> list[tuple[str, str]]:
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    return [(e["field"], e["rule"]) for e in answer.json().get("errors", [])]


def test_enterprise_registers_and_the_counter_approves(
    api_client: Any, make_user: Any, clock: Any, caplog: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    make_user("counter1", roles=["counter"])
    public = api_client()
    answer = apply(public, clock)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["status"] == "submitted" and body["archive"]["kind"] == "zip"
    app_id = body["application_id"]

    counter = api_client()
    assert counter.sign_in("counter1").status_code == 200
    listed = counter.get("/members/applications", params={"status": "submitted"})
    assert [a["public_id"] for a in listed.json()["items"]] == [app_id]
    archive = counter.get(f"/members/applications/{app_id}/archive")
    assert archive.status_code == 200 and archive.content == real_zip()
    assert archive.headers["content-disposition"].startswith("attachment;")
    assert archive.headers["x-content-type-options"] == "nosniff"
    # the public cannot read applications
    assert public.get(f"/members/applications/{app_id}").status_code == 401

    approved = counter.post(f"/members/applications/{app_id}/approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved" and approved.json()["organisation_code"]
    detail = counter.get(f"/members/applications/{app_id}")
    members = counter.get("/members/members", params={"member_type": "enterprise"})
    assert [m["organisation_code"] for m in members.json()["items"]] == [
        approved.json()["organisation_code"]
    ]
    assert public.get("/members/members").status_code == 401

    sms = delivered_sms("+8613800000001", "members.enterprise_approved", clock=clock)
    username, password = credentials(sms)
    assert any(password in m.body for m in mail.outbox if "li.na@pearl.example" in m.to)
    staff_answers = approved.text + detail.text + listed.text + members.text
    assert username not in staff_answers and password not in staff_answers
    assert password not in caplog.text and username not in caplog.text
    rows = json.dumps([[str(v) for v in e.__dict__.values()] for e in AuditEntry.objects.all()])
    assert password not in rows and username not in rows

    admin = api_client()
    signed = admin.sign_in(username, password)
    assert signed.status_code == 200, signed.text
    assert signed.json()["must_change_password"] is True


def test_counter_rejects_over_the_api(api_client: Any, make_user: Any, clock: Any) -> None:
    make_user("counter1", roles=["counter"])
    app_id = apply(api_client(), clock).json()["application_id"]
    counter = api_client()
    counter.sign_in("counter1")
    assert problem(counter.post(f"/members/applications/{app_id}/reject", json={"reason": ""}))
    rejected = counter.post(
        f"/members/applications/{app_id}/reject", json={"reason": "Licence expired."}
    )
    assert rejected.status_code == 200 and rejected.json()["reason"] == "Licence expired."
    assert "Licence expired." in delivered_sms(
        "+8613800000001", "members.enterprise_rejected", clock=clock
    )
    again = counter.post(f"/members/applications/{app_id}/approve")
    assert again.status_code == 409 and again.json()["code"] == "application_not_pending"


@pytest.mark.parametrize(
    ("over", "archive", "field", "rule"),
    [
        ({}, b"a text file renamed to documents.zip\n" * 20, "archive", "archive_type"),
        ({}, b"\0" * (uploads.MAX_ARCHIVE_BYTES + 1), "archive", "too_large"),
        ({"id_number": "91350100M000100Y44"}, None, "id_number", "checksum"),
    ],
)
def test_bad_enterprise_input(
    api_client: Any, clock: Any, over: dict[str, str], archive: bytes | None, field: str, rule: str
) -> None:
    before = stored_files()
    answer = apply(api_client(), clock, archive=archive, **over)
    assert (field, rule) in problem(answer)
    assert not EnterpriseApplication.objects.exists() and stored_files() == before


def test_an_archive_far_too_large_is_refused_before_it_is_read(api_client: Any) -> None:
    api = api_client()
    answer = api.post(
        "/members/registrations/enterprise",
        data=enterprise_fields(),
        files={"archive": ("big.zip", b"\0" * (uploads.MAX_ARCHIVE_BYTES + 300_000))},
    )
    assert ("archive", "too_large") in problem(answer)


def test_a_json_body_is_refused(api_client: Any) -> None:
    answer = api_client().post("/members/registrations/enterprise", json=enterprise_fields())
    assert ("body", "content_type") in problem(answer)


def test_replayed_and_expired_codes(api_client: Any, clock: Any) -> None:
    api = api_client()
    code = sms_code(api, "+8613800000001", clock)
    files = {"archive": ("d.zip", real_zip(), "application/zip")}
    first = api.post(
        "/members/registrations/enterprise", data={**enterprise_fields(), **code}, files=files
    )
    assert first.status_code == 201
    replay = api.post(
        "/members/registrations/enterprise",
        data={**enterprise_fields(desired_username="other.name"), **code},
        files=files,
    )
    assert problem(replay) == [("sms_code", "code_used")]
    late = sms_code(api, "+8613800000001", clock)
    clock.advance(minutes=5, seconds=1)
    expired = api.post(
        "/members/registrations/enterprise",
        data={**enterprise_fields(desired_username="third.name"), **late},
        files=files,
    )
    assert problem(expired) == [("sms_code", "code_expired")]
    assert EnterpriseApplication.objects.count() == 1


def test_individual_registers_after_a_failing_card(api_client: Any, clock: Any) -> None:
    api = api_client()
    phone = "+8613900000002"
    check = api.post("/members/registrations/individual/check", json=individual_fields())
    assert check.status_code == 200 and check.json()["warnings"] == []
    failed = api.post(
        "/members/registrations/individual",
        json={**individual_fields(card_number=BAD_CARD), **sms_code(api, phone, clock)},
    )
    assert failed.status_code == 422 and failed.json()["code"] == "card_authentication_failed"
    assert failed.json()["reason"] == "card_name_mismatch"
    assert not MemberProfile.objects.exists() and CardAttempt.objects.count() == 1

    done = api.post(
        "/members/registrations/individual",
        json={**individual_fields(card_number=GOOD_CARD), **sms_code(api, phone, clock)},
    )
    assert done.status_code == 201, done.text
    member = MemberProfile.objects.get(public_id=done.json()["member_id"])
    assert BoundCard.objects.get(member=member).status == "current"
    username, password = credentials(
        delivered_sms(phone, "members.individual_registered", clock=clock)
    )
    # the member signs in with the SMS second factor, then must change the password
    member_api = api_client()
    first = member_api.sign_in(username, password)
    assert first.status_code == 401 and first.json()["code"] == "otp_required"
    signed = member_api.sign_in(
        username,
        password,
        otp_code=delivered_code(phone, clock=clock),
        challenge_id=first.json()["challenge_id"],
    )
    assert signed.status_code == 200 and signed.json()["must_change_password"] is True

    # forgotten password: name, ID, card, bank, mobile + code + card authentication
    forgot = {
        "name": "Wang Fang", "id_type": "cn_ric", "id_number": member.id_number,
        "bank_code": "102", "card_number": GOOD_CARD, "phone": phone,
    }  # fmt: skip
    wrong = api.post(
        "/members/recovery/individual",
        json={**forgot, "name": "Wang", **sms_code(api, phone, clock, "forgot")},
    )
    assert wrong.status_code == 422 and wrong.json()["code"] == "recovery_refused"
    right = api.post(
        "/members/recovery/individual", json={**forgot, **sms_code(api, phone, clock, "forgot")}
    )
    assert right.status_code == 200 and right.json() == {"username": username}
    assert "temporary password" in delivered_sms(phone, "members.password_reset", clock=clock)


def test_resident_id_with_a_wrong_check_digit(api_client: Any, clock: Any) -> None:
    good = ric(5)
    bad = good[:-1] + ("1" if good[-1] != "1" else "2")
    api = api_client()
    answer = api.post(
        "/members/registrations/individual",
        json={**individual_fields(id_number=bad), **sms_code(api, "+8613900000002", clock)},
    )
    assert problem(answer) == [("id_number", "checksum")]
    assert not CardAttempt.objects.exists() and not MemberProfile.objects.exists()


def test_forgot_enterprise_over_the_api(api_client: Any, make_user: Any, clock: Any) -> None:
    make_user("counter1", roles=["counter"])
    api = api_client()
    fields = enterprise_fields()
    answer = apply(api, clock, id_number=fields["id_number"])
    counter = api_client()
    counter.sign_in("counter1")
    counter.post(f"/members/applications/{answer.json()['application_id']}/approve")
    ask = {"id_type": "uscc", "id_number": fields["id_number"], "mobile": fields["mobile"]}
    wrong = api.post(
        "/members/recovery/enterprise",
        json={**ask, "mobile": "+8613800000077",
              **sms_code(api, "+8613800000077", clock, "forgot")},
    )  # fmt: skip
    assert wrong.status_code == 422 and wrong.json()["code"] == "recovery_refused"
    right = api.post(
        "/members/recovery/enterprise",
        json={**ask, **sms_code(api, fields["mobile"], clock, "forgot")},
    )
    assert right.status_code == 200 and right.json() == {"username": "pearl.admin"}
    sms = delivered_sms(fields["mobile"], "members.password_reset", clock=clock)
    assert api_client().sign_in("pearl.admin", credentials(sms)[1]).status_code == 200
