"""REG-IND (card authentication, retry with another card) and FORGOT (both kinds)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.apps import apps

from custodesk.core.errors import ValidationFailed
from custodesk.identity.errors import InvalidVerificationCode
from custodesk.identity.models import User
from custodesk.members import services
from custodesk.members.errors import CardAuthenticationFailed, RecoveryRefused
from custodesk.members.models import BoundCard, CardAttempt, MemberProfile
from custodesk.members.tests.helpers import (
    BAD_CARD,
    GOOD_CARD,
    code_for,
    credentials,
    delivered_sms,
    enterprise_fields,
    individual_fields,
    real_zip,
    ric,
)

pytestmark = pytest.mark.django_db
PHONE = "+8613900000002"


def register(clock: Any, **over: Any) -> Any:
    fields = individual_fields(**over)
    challenge, code = code_for(fields["phone"], clock=clock)
    return services.individual_register(
        form=services.IndividualForm(**fields),
        challenge_id=challenge,
        sms_code=code,
        language_code="zh-hans",
        now=clock.now(),
    )


def test_a_failing_card_then_another_card_registers(clock: Any) -> None:
    with pytest.raises(CardAuthenticationFailed) as err:
        register(clock, card_number=BAD_CARD)
    assert err.value.data == {"field": "card_number", "reason": "card_name_mismatch"}
    assert not MemberProfile.objects.exists() and not BoundCard.objects.exists()
    assert not User.objects.filter(organisation__kind="member").exists()
    attempt = CardAttempt.objects.get()
    assert (attempt.ok, attempt.reason, attempt.card_last4) == (
        False,
        "card_name_mismatch",
        BAD_CARD[-4:],
    )

    done = register(clock, card_number=GOOD_CARD)
    member = done.member
    assert member.member_type == "individual" and member.organisation.sign_in_factor == "sms"
    card = BoundCard.objects.get(member=member)
    assert (card.status, card.card_number, card.bank_code) == ("current", GOOD_CARD, "102")
    user = User.objects.get(organisation=member.organisation)
    sms = delivered_sms(PHONE, "members.individual_registered", clock=clock)
    username, password = credentials_zh(sms)
    assert username == user.username and user.check_password(password)
    assert user.must_change_password and user.phone == PHONE


def credentials_zh(text: str) -> tuple[str, str]:
    """The SMS is in the applicant's language (zh-hans when translated, else English):
    the login name and password are the two ASCII words the outbox filled in."""
    import re

    try:
        return credentials(text)
    except AssertionError:
        words = re.findall(r"[A-Za-z0-9]{8,}", text)
        return words[0], words[1]


def test_bad_individual_input(clock: Any) -> None:
    bad_ric = ric(7)[:-1] + ("0" if ric(7)[-1] != "0" else "1")
    cases = [
        ({"id_number": bad_ric}, "id_number", "checksum"),
        ({"id_type": "hkid", "id_number": "A123456(4)"}, "id_number", "checksum"),
        ({"card_number": "6222 0202"}, "card_number", "pattern"),
        ({"bank_code": "999"}, "bank_code", "unknown"),
        ({"branch_code": "103100000019"}, "branch_code", "unknown"),
        ({"name": ""}, "name", "required"),
    ]
    for over, field, rule in cases:
        fields = individual_fields(**over)
        with pytest.raises(ValidationFailed) as err:
            services.individual_check(services.IndividualForm(**fields), now=clock.now())
        assert (field, rule) in [(e.field, e.rule) for e in err.value.errors], over
    assert not CardAttempt.objects.exists()


def test_luhn_and_unknown_area_are_warnings(clock: Any) -> None:
    fields = individual_fields(card_number="6222020200112233450", id_number="440524188001010014")
    clean, warnings = services.individual_check(services.IndividualForm(**fields), now=clock.now())
    assert {w["rule"] for w in warnings} == {"luhn", "area_unknown"}
    assert clean["id_number"] == "440524188001010014"


def test_a_registered_id_is_refused(clock: Any) -> None:
    register(clock)
    with pytest.raises(ValidationFailed) as err:
        register(clock, phone="+8613900000003")
    assert (err.value.errors[0].field, err.value.errors[0].rule) == ("id_number", "duplicate")


def test_the_sms_code_is_checked_before_the_card(clock: Any) -> None:
    fields = individual_fields()
    challenge, code = code_for(fields["phone"], clock=clock)
    clock.advance(minutes=6)
    with pytest.raises(InvalidVerificationCode) as err:
        services.individual_register(
            form=services.IndividualForm(**fields), challenge_id=challenge, sms_code=code,
            now=clock.now(),
        )  # fmt: skip
    assert err.value.rule == "code_expired"
    assert not CardAttempt.objects.exists() and not MemberProfile.objects.exists()


# -- FORGOT ----------------------------------------------------------------------------
@pytest.fixture
def enterprise(clock: Any, make_user: Any) -> Any:
    counter = make_user("counter1", roles=["counter"])
    fields = enterprise_fields()
    challenge, code = code_for(fields["mobile"], clock=clock)
    app = services.enterprise_apply(
        form=services.EnterpriseForm(**fields), archive=io.BytesIO(real_zip()),
        archive_name="d.zip", challenge_id=challenge, sms_code=code, now=clock.now(),
    )  # fmt: skip
    services.application_approve(actor=counter, application_id=app.public_id, now=clock.now())
    return MemberProfile.objects.get(id_number=app.id_number)


def forgot_ent(clock: Any, member: Any, **over: Any) -> Any:
    args = {"id_type": member.id_type, "id_number": member.id_number, "mobile": member.mobile}
    args.update(over)
    challenge, code = code_for(args["mobile"], purpose=services.PURPOSE_FORGOT, clock=clock)
    return services.forgot_enterprise(
        **args, challenge_id=challenge, sms_code=code, now=clock.now()
    )


def test_forgot_enterprise(clock: Any, enterprise: Any) -> None:
    done = forgot_ent(clock, enterprise)
    assert done.username == "pearl.admin"
    sms = delivered_sms(enterprise.mobile, "members.password_reset", clock=clock)
    username, password = credentials(sms)
    user = User.objects.get(username="pearl.admin")
    assert username == "pearl.admin" and user.check_password(password)
    assert user.must_change_password


def test_forgot_enterprise_wrong_combinations_get_one_answer(clock: Any, enterprise: Any) -> None:
    other_uscc = enterprise_fields()["id_number"]
    for over in ({"mobile": "+8613800000099"}, {"id_number": other_uscc}):
        with pytest.raises(RecoveryRefused) as err:
            forgot_ent(clock, enterprise, **over)
        assert err.value.problem()["code"] == "recovery_refused"
        assert "field" not in err.value.data


def test_forgot_individual(clock: Any) -> None:
    member = register(clock).member
    user = User.objects.get(organisation=member.organisation)
    base = {
        "name": "Wang Fang", "id_type": "cn_ric", "id_number": member.id_number,
        "bank_code": "102", "card_number": GOOD_CARD, "phone": PHONE,
    }  # fmt: skip

    def forgot(**over: Any) -> Any:
        args = {**base, **over}
        challenge, code = code_for(args["phone"], purpose=services.PURPOSE_FORGOT, clock=clock)
        return services.forgot_individual(
            **args, challenge_id=challenge, sms_code=code, now=clock.now()
        )

    for over in ({"name": "Wang Fang Fang"}, {"card_number": "6222020200112204360"},
                 {"bank_code": "103"}):  # fmt: skip
        with pytest.raises(RecoveryRefused):
            forgot(**over)
    done = forgot()
    assert done.username == user.username
    sms = delivered_sms(PHONE, "members.password_reset", clock=clock)
    user.refresh_from_db()
    username, password = credentials_zh(sms)
    assert user.check_password(password)
    rows = json.dumps([
        [str(v) for v in e.__dict__.values()]
        for e in apps.get_model("audit", "AuditEntry").objects.all()
    ])  # fmt: skip
    assert username not in rows and password not in rows
