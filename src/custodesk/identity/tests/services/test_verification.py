"""SMS one-time codes: 6 digits, 5 minutes, single use, 5 tries, resend throttled."""

import pytest

from custodesk.identity import services
from custodesk.identity.errors import CodeThrottled, InvalidVerificationCode
from custodesk.identity.models import VerificationChallenge
from custodesk.notify.models import Message
from custodesk.testing.governance import delivered_code

pytestmark = pytest.mark.django_db

PHONE = "+85291234567"


def send(clock, phone=PHONE, purpose="sign_in"):
    return services.verification_send(
        purpose=purpose, phone=phone, language="zh_Hant", now=clock.now()
    )


def check(challenge, code, clock, purpose="sign_in", phone=PHONE):
    services.verification_check(
        challenge_id=challenge.public_id, purpose=purpose, phone=phone, code=code, now=clock.now()
    )


def rule_of(excinfo):
    return excinfo.value.problem()["errors"][0]["rule"]


def test_a_code_goes_out_by_sms_and_only_its_hash_is_kept(clock):
    challenge = send(clock)
    code = delivered_code(PHONE, clock=clock)
    assert len(code) == 6 and code.isdigit()
    stored = VerificationChallenge.objects.get(pk=challenge.pk)
    assert code not in stored.code_hash and len(stored.code_hash) == 64
    assert stored.expires_at == clock.now() + __import__("datetime").timedelta(minutes=5)
    message = Message.objects.get(template="notify.one_time_code", recipient=PHONE)
    assert message.language == "zh-hant"
    # sent: the outbox keeps no secret
    assert not message.secret_context and code not in str(message.context)
    check(challenge, code, clock)
    assert VerificationChallenge.objects.get(pk=challenge.pk).used_at == clock.now()


def test_a_code_is_single_use(clock):
    challenge = send(clock)
    code = delivered_code(PHONE, clock=clock)
    check(challenge, code, clock)
    with pytest.raises(InvalidVerificationCode) as exc:
        check(challenge, code, clock)
    assert rule_of(exc) == "code_used"
    assert exc.value.problem()["errors"][0]["field"] == "sms_code"


def test_a_code_expires_after_five_minutes(clock):
    challenge = send(clock)
    code = delivered_code(PHONE, clock=clock)
    clock.advance(minutes=5)
    with pytest.raises(InvalidVerificationCode) as exc:
        check(challenge, code, clock)
    assert rule_of(exc) == "code_expired"


def test_five_wrong_codes_kill_the_challenge(clock):
    challenge = send(clock)
    code = delivered_code(PHONE, clock=clock)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(4):
        with pytest.raises(InvalidVerificationCode) as exc:
            check(challenge, wrong, clock)
        assert rule_of(exc) == "code_invalid"
    with pytest.raises(InvalidVerificationCode) as exc:
        check(challenge, "not a code", clock)
    assert rule_of(exc) == "code_attempts_exceeded"
    # the failed tries were committed, and the right code no longer helps
    assert VerificationChallenge.objects.get(pk=challenge.pk).attempts == 5
    with pytest.raises(InvalidVerificationCode) as exc:
        check(challenge, code, clock)
    assert rule_of(exc) == "code_attempts_exceeded"


def test_a_code_is_bound_to_its_purpose_and_phone(clock):
    challenge = send(clock)
    code = delivered_code(PHONE, clock=clock)
    for purpose, phone in (("registration", PHONE), ("sign_in", "+85290000000")):
        with pytest.raises(InvalidVerificationCode) as exc:
            check(challenge, code, clock, purpose=purpose, phone=phone)
        assert rule_of(exc) == "code_invalid"
    with pytest.raises(InvalidVerificationCode):
        services.verification_check(
            challenge_id="not-a-uuid", purpose="sign_in", phone=PHONE, code=code, now=clock.now()
        )
    check(challenge, code, clock)


def test_a_second_code_within_a_minute_is_refused(clock):
    send(clock)
    clock.advance(seconds=59)
    with pytest.raises(CodeThrottled) as exc:
        send(clock)
    assert exc.value.status == 429 and exc.value.problem()["field"] == "phone"
    # another purpose or phone is not throttled; after a minute a new code goes out
    send(clock, purpose="registration")
    send(clock, phone="+8613812345678")
    clock.advance(seconds=1)
    second = send(clock)
    assert VerificationChallenge.objects.filter(purpose="sign_in", phone=PHONE).count() == 2
    check(second, delivered_code(PHONE, clock=clock), clock)


def test_a_bad_phone_is_refused_and_nothing_is_sent(clock):
    from custodesk.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as exc:
        send(clock, phone="call me")
    assert exc.value.errors[0].field == "phone"
    assert not VerificationChallenge.objects.exists() and not Message.objects.exists()
