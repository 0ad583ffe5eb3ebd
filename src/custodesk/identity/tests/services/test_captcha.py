"""The sign-in captcha: due after a refused attempt for the user name (within the
lockout window), single use; a missing, wrong or replayed one changes nothing."""

import datetime as dt

import pytest
from captcha.models import CaptchaStore

from custodesk.identity import captcha, services
from custodesk.identity.models import LoginDevice, SecurityEvent, User
from custodesk.testing.fixtures import PASSWORD
from custodesk.testing.governance import captcha_answer, solved_captcha

pytestmark = pytest.mark.django_db


def attempt(username, password=PASSWORD, *, clock, **extra):
    return services.sign_in(
        username=username, password=password, otp_code=None, kind="api", now=clock.now(), **extra
    )


def traces():
    return LoginDevice.objects.count(), SecurityEvent.objects.count()


def test_no_captcha_is_due_before_a_refusal(make_user, clock):
    make_user("alice")
    assert not services.captcha_required(username="alice", now=clock.now())
    assert attempt("alice", clock=clock).ok


@pytest.mark.parametrize("name", ["alice", "nobody"])
def test_a_refusal_makes_a_captcha_due_for_known_and_unknown_names_alike(make_user, clock, name):
    alice = make_user("alice")
    refused = attempt(name, "Wrong-Pass-000", clock=clock)
    assert refused.error.problem()["captcha_required"] is True
    # the name is compared trimmed and in any case, as sign-in compares it
    assert services.captcha_required(username=f"  {name.upper()} ", now=clock.now())
    before = traces()

    missing = attempt(name, clock=clock)
    assert missing.error.code == "captcha_required"
    problem = missing.error.problem()
    assert problem["field"] == "captcha_value" and problem["status"] == 401

    key = captcha.new_key()
    wrong = attempt(name, clock=clock, captcha_key=key, captcha_value="zzzzz")
    assert wrong.error.code == "captcha_invalid"
    # the wrong answer used the captcha up: its right answer no longer helps
    assert not CaptchaStore.objects.filter(hashkey=key).exists()
    replay = attempt(name, clock=clock, captcha_key=key, captcha_value="whatever")
    assert replay.error.code == "captcha_invalid"
    # nothing else happened: no attempt recorded, no failure counted
    assert traces() == before
    assert User.objects.get(pk=alice.pk).failed_logins == (1 if name == "alice" else 0)

    solved = solved_captcha()
    outcome = attempt(name, clock=clock, **solved)
    assert outcome.ok is (name == "alice")
    # a solved captcha is single use as well
    again = attempt(name, "Wrong-Pass-000", clock=clock, **solved)
    assert again.error.code == ("captcha_invalid" if name == "nobody" else "invalid_credentials")


def test_a_success_clears_it_and_so_does_the_end_of_the_window(make_user, clock, settings):
    make_user("alice")
    attempt("alice", "Wrong-Pass-000", clock=clock)
    assert attempt("alice", clock=clock, **solved_captcha()).ok
    assert not services.captcha_required(username="alice", now=clock.now())
    attempt("alice", "Wrong-Pass-000", clock=clock)
    clock.advance(minutes=settings.CUSTODESK_LOCKOUT_MINUTES, seconds=1)
    assert not services.captcha_required(username="alice", now=clock.now())
    assert attempt("alice", clock=clock).ok


def test_the_answer_is_case_insensitive_and_an_expired_captcha_is_refused(make_user, clock):
    make_user("alice")
    attempt("alice", "Wrong-Pass-000", clock=clock)
    key = captcha.new_key()
    CaptchaStore.objects.filter(hashkey=key).update(
        expiration=CaptchaStore.objects.get(hashkey=key).expiration - dt.timedelta(minutes=6)
    )
    expired = attempt("alice", clock=clock, captcha_key=key, captcha_value=captcha_answer(key))
    assert expired.error.code == "captcha_invalid"
    key = captcha.new_key()
    lower = captcha_answer(key).lower()
    assert attempt("alice", clock=clock, captcha_key=key, captcha_value=f" {lower} ").ok


def test_the_captcha_has_five_unambiguous_characters_and_renders(db):
    from captcha.views import _captcha_image

    key = captcha.new_key()
    store = CaptchaStore.objects.get(hashkey=key)
    assert len(store.challenge) == 5 and set(store.challenge) <= set(captcha.ALPHABET)
    assert store.response == store.challenge.lower()
    image = _captcha_image(store, 1)
    assert image["Content-Type"] == "image/png" and image.content[:4] == b"\x89PNG"
