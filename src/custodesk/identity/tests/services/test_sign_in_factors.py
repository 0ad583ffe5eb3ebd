"""The organisation's second factor: an SMS code ("sms"), an authenticator enrolled
right after the first password change ("totp")."""

import pytest
from django.db import transaction

from custodesk.identity import services
from custodesk.identity.models import LoginDevice, SecurityEvent, User, VerificationChallenge
from custodesk.testing.fixtures import totp_code
from custodesk.testing.governance import delivered_code, solved_captcha

pytestmark = pytest.mark.django_db

PHONE = "+8613812345678"


def open_org(admin, clock, factor, *, phone=PHONE, code="M200", username="ivy.chan"):
    with transaction.atomic():
        _org, user, temp = services.organisation_open(
            actor=admin,
            code=code,
            name="Ivy Chan",
            kind="member",
            sign_in_factor=factor,
            admin_username=username,
            admin_full_name="Ivy Chan",
            admin_email="",
            admin_phone=phone,
            admin_language="zh_Hans",
            now=clock.now(),
        )
    return user, temp


def attempt(username, password, *, clock, otp=None, challenge=None, captcha=False):
    return services.sign_in(
        username=username,
        password=password,
        otp_code=otp,
        challenge_id=challenge,
        kind="api",
        now=clock.now(),
        **(solved_captcha() if captcha else {}),
    )


def results(user):
    return list(
        LoginDevice.objects.filter(user=user).order_by("id").values_list("result", flat=True)
    )


def test_sms_factor_sends_a_code_then_signs_in_with_it(admin, clock):
    user, temp = open_org(admin, clock, "sms")
    first = attempt("ivy.chan", temp, clock=clock)
    assert first.result == "otp_required"
    problem = first.error.problem()
    assert problem["code"] == "otp_required" and problem["second_factor"] == "sms"
    assert problem["phone_hint"].endswith("5678") and PHONE not in str(problem)
    challenge = problem["challenge_id"]
    assert VerificationChallenge.objects.get(public_id=challenge).purpose == "sign_in"
    code = delivered_code(PHONE, clock=clock)
    done = attempt("ivy.chan", temp, clock=clock, otp=code, challenge=challenge)
    assert done.ok and done.user.must_change_password
    assert results(user) == ["otp_required", "success"]
    # the code was used: once more is refused (and counted, and asks a captcha next)
    replay = attempt("ivy.chan", temp, clock=clock, otp=code, challenge=challenge)
    assert replay.result == "bad_otp"
    assert replay.error.problem()["errors"][0] == {
        "field": "otp_code",
        "rule": "code_used",
        "message": str(replay.error.detail),
    }
    assert User.objects.get(pk=user.pk).failed_logins == 1
    assert SecurityEvent.objects.filter(user=user, reason="bad_otp").exists()
    assert attempt("ivy.chan", temp, clock=clock).error.code == "captcha_required"


def test_sms_code_wrong_expired_and_five_tries(admin, clock, settings):
    settings.CUSTODESK_LOCKOUT_THRESHOLD = 10  # the code's own limit is what is shown
    user, temp = open_org(admin, clock, "sms")
    challenge = attempt("ivy.chan", temp, clock=clock).error.problem()["challenge_id"]
    code = delivered_code(PHONE, clock=clock)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    rules = [
        attempt(
            "ivy.chan", temp, clock=clock, otp=wrong, challenge=challenge, captcha=True
        ).error.problem()["errors"][0]["rule"]
        for _ in range(5)
    ]
    assert rules == ["code_invalid"] * 4 + ["code_attempts_exceeded"]
    dead = attempt("ivy.chan", temp, clock=clock, otp=code, challenge=challenge, captcha=True)
    assert dead.error.problem()["errors"][0]["rule"] == "code_attempts_exceeded"

    clock.advance(seconds=61)
    fresh = attempt("ivy.chan", temp, clock=clock, captcha=True).error.problem()["challenge_id"]
    code = delivered_code(PHONE, clock=clock)
    clock.advance(minutes=5)
    late = attempt("ivy.chan", temp, clock=clock, otp=code, challenge=fresh, captcha=True)
    assert late.error.problem()["errors"][0]["rule"] == "code_expired"
    assert not User.objects.get(pk=user.pk).sessions.exists()


def test_a_second_password_step_within_the_minute_names_the_code_already_sent(admin, clock):
    _user, temp = open_org(admin, clock, "sms")
    first = attempt("ivy.chan", temp, clock=clock).error.problem()["challenge_id"]
    clock.advance(seconds=30)
    second = attempt("ivy.chan", temp, clock=clock).error.problem()["challenge_id"]
    assert first == second and VerificationChallenge.objects.count() == 1
    clock.advance(seconds=31)
    third = attempt("ivy.chan", temp, clock=clock).error.problem()["challenge_id"]
    assert third != first and VerificationChallenge.objects.count() == 2


def test_sms_codes_lock_out_like_passwords(admin, clock):
    user, temp = open_org(admin, clock, "sms")
    for _ in range(5):
        challenge = attempt("ivy.chan", temp, clock=clock, captcha=True).error.problem()[
            "challenge_id"
        ]
        attempt("ivy.chan", temp, clock=clock, otp="000000", challenge=challenge, captcha=True)
        clock.advance(seconds=61)
    assert User.objects.get(pk=user.pk).lockout_until is not None
    assert attempt("ivy.chan", temp, clock=clock, captcha=True).result == "locked_out"


def test_sms_factor_without_a_phone_is_refused(admin, clock):
    user, temp = open_org(admin, clock, "sms", phone="")
    refused = attempt("ivy.chan", temp, clock=clock)
    assert refused.result == "no_second_factor"
    assert refused.error.code == "second_factor_unavailable"
    assert results(user) == ["no_second_factor"] and not user.sessions.exists()


def test_totp_factor_requires_enrolment_then_the_code(admin, clock):
    user, temp = open_org(admin, clock, "totp")
    assert services.needs_totp_enrolment(user)
    outcome = attempt("ivy.chan", temp, clock=clock)
    assert outcome.ok  # the session is restricted by the interfaces until enrolled
    services.totp_begin(user=user, now=clock.now())
    services.totp_confirm(user=user, code=totp_code(user), now=clock.now())
    assert not services.needs_totp_enrolment(user)
    assert attempt("ivy.chan", temp, clock=clock).error.problem()["second_factor"] == "totp"
    assert attempt("ivy.chan", temp, clock=clock, otp=totp_code(user, steps_ahead=1)).ok
