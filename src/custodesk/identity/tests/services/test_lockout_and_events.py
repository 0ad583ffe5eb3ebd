"""The lockout answers like an unknown user, after the same work; wrong current
passwords count toward it; refused attempts are kept as security events; the console's
second step holds a signed proof, not the password."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher

from custodesk.core import context
from custodesk.core.errors import DomainError
from custodesk.identity import services
from custodesk.identity.models import SecurityEvent, User, UserSession
from custodesk.identity.security_events import record_permission_denied
from custodesk.testing.fixtures import PASSWORD, totp_code
from custodesk.testing.governance import solved_captcha

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "Brand-New-Pass-77"


class CountingHasher(Argon2PasswordHasher):
    """The suite's Argon2 at minimum cost, counting the hashes it computes."""

    time_cost = 1
    memory_cost = 8
    parallelism = 1
    hashes = 0

    def encode(self, password: str, salt: str) -> str:
        CountingHasher.hashes += 1
        return super().encode(password, salt)

    def verify(self, password: str, encoded: str) -> bool:
        CountingHasher.hashes += 1
        return super().verify(password, encoded)


@pytest.fixture
def counting(settings: Any) -> type[CountingHasher]:
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    CountingHasher.hashes = 0
    return CountingHasher


def attempt(username: str, password: str = PASSWORD, *, clock: Any) -> Any:
    # after a refused attempt a captcha is due: each attempt here solves one
    # (test_captcha.py checks the rule itself)
    return services.sign_in(
        username=username,
        password=password,
        otp_code=None,
        kind="api",
        now=clock.now(),
        **solved_captcha(),
    )


def _lock_out(username: str, *, clock: Any) -> None:
    for _ in range(5):
        attempt(username, "Wrong-Pass-000", clock=clock)


def test_a_locked_out_user_and_an_unknown_one_get_the_same_answer_after_the_same_work(
    make_user: Any, clock: Any, counting: type[CountingHasher]
):
    make_user("alice")
    _lock_out("alice", clock=clock)
    answers = {}
    for name, username in [("locked_out", "alice"), ("unknown", "nobody"), ("wrong", "bob")]:
        if name == "wrong":
            make_user("bob")
            username, password = "bob", "Wrong-Pass-000"
        else:
            password = PASSWORD
        counting.hashes = 0
        outcome = attempt(username, password, clock=clock)
        answers[name] = (type(outcome.error), outcome.error.problem(), counting.hashes)
    assert answers["locked_out"] == answers["unknown"] == answers["wrong"]
    assert answers["unknown"][1]["code"] == "invalid_credentials"
    assert answers["unknown"][2] == 1  # one password hash on every path


def test_refused_sign_ins_are_security_events_with_ip_device_and_route(
    make_user: Any, clock: Any, request_context: Any
):
    make_user("alice")
    ctx = context.RequestContext(
        request_id="req-12345678",
        channel="api",
        ip="198.51.100.7",
        user_agent="curl/8",
        device_id="device-abcdefghijkl",
        route="POST /api/v1/auth/sign-in",
    )
    with context.bind(ctx):
        _lock_out("alice", clock=clock)
        attempt("alice", clock=clock)  # locked out
        attempt("nobody", clock=clock)
    events = list(SecurityEvent.objects.order_by("id"))
    assert [e.reason for e in events] == [
        *["bad_password"] * 5,
        "lockout_started",
        "locked_out",
        "unknown_user",
    ]
    alice = User.objects.get(username="alice")
    assert all(e.user_id == alice.pk for e in events[:7]) and events[7].user is None
    assert events[7].username == "nobody"
    assert {(e.ip, e.device_id, e.route, e.user_agent, e.channel) for e in events} == {
        ("198.51.100.7", "device-abcdefghijkl", "POST /api/v1/auth/sign-in", "curl/8", "api")
    }
    assert events[5].detail == f"until {(clock.now() + dt.timedelta(minutes=15)).isoformat()}"
    # a success is no security event
    clock.advance(minutes=16)
    assert attempt("alice", clock=clock).ok
    assert SecurityEvent.objects.count() == 8


def test_wrong_current_passwords_count_toward_the_lockout_and_end_the_sessions(
    make_user: Any, clock: Any
):
    make_user("alice")
    first = attempt("alice", clock=clock)
    other = attempt("alice", clock=clock)
    alice = first.user

    def change(current: str) -> Any:
        return services.password_change(
            user=alice,
            session=first.session,
            current_password=current,
            new_password=NEW_PASSWORD,
            new_password_again=NEW_PASSWORD,
            now=clock.now(),
        )

    for _ in range(4):
        with pytest.raises(DomainError) as wrong:
            change("Wrong-Pass-000")
        assert wrong.value.code == "wrong_current_password"
    assert User.objects.get(pk=alice.pk).failed_logins == 4  # committed despite the error
    with pytest.raises(DomainError) as fifth:
        change("Wrong-Pass-000")
    assert fifth.value.code == "locked_out" and fifth.value.status == 423
    # every session of the user ended, this one too; sign-in is locked out as well
    assert not UserSession.objects.filter(user=alice, ended_at__isnull=True).exists()
    assert {first.session.pk, other.session.pk} <= set(
        UserSession.objects.filter(end_reason="user_locked").values_list("pk", flat=True)
    )
    assert attempt("alice", clock=clock).result == "locked_out"
    # during the lockout even the right current password is refused, and nothing changes
    with pytest.raises(DomainError) as refused:
        change(PASSWORD)
    assert refused.value.code == "locked_out"
    assert User.objects.get(pk=alice.pk).check_password(PASSWORD)
    assert list(
        SecurityEvent.objects.filter(user=alice).order_by("id").values_list("reason", flat=True)
    ) == [*["wrong_current_password"] * 5, "lockout_started", "locked_out", "locked_out"]
    # afterwards the change works
    clock.advance(minutes=15, seconds=1)
    change(PASSWORD)
    assert User.objects.get(pk=alice.pk).check_password(NEW_PASSWORD)


def test_sign_in_failures_and_wrong_current_passwords_share_one_count(make_user: Any, clock: Any):
    make_user("alice")
    session = attempt("alice", clock=clock)
    for _ in range(3):
        attempt("alice", "Wrong-Pass-000", clock=clock)
    for _ in range(2):
        with pytest.raises(DomainError):
            services.password_change(
                user=session.user,
                session=session.session,
                current_password="Wrong-Pass-000",
                new_password=NEW_PASSWORD,
                new_password_again=NEW_PASSWORD,
                now=clock.now(),
            )
    assert User.objects.get(username="alice").lockout_until is not None


# -- the console's second step: a signed proof, not the password ----------------------
def _enrolled(make_user: Any, clock: Any) -> Any:
    alice = make_user("alice")
    services.totp_begin(user=alice, now=clock.now())
    services.totp_confirm(user=alice, code=totp_code(alice), now=clock.now())
    return alice


def _second(proof: str, binding: str, code: str, clock: Any) -> Any:
    return services.sign_in_second_factor(
        proof=proof, binding=binding, otp_code=code, kind="console", now=clock.now()
    )


def test_the_password_proof_opens_the_second_step_for_its_session_only(make_user: Any, clock: Any):
    alice = _enrolled(make_user, clock)
    proof = services.password_proof(user=alice, binding="session-a", now=clock.now())
    assert PASSWORD not in proof
    with pytest.raises(DomainError) as other_session:
        _second(proof, "session-b", totp_code(alice, steps_ahead=1), clock)
    assert other_session.value.code == "sign_in_expired"
    with pytest.raises(DomainError):
        _second(proof[:-2] + "xx", "session-a", totp_code(alice, steps_ahead=1), clock)
    outcome = _second(proof, "session-a", totp_code(alice, steps_ahead=1), clock)
    assert outcome.ok and outcome.session.kind == "console"


def test_the_password_proof_runs_out_and_does_not_outlive_a_password_change(
    make_user: Any, clock: Any
):
    alice = _enrolled(make_user, clock)
    proof = services.password_proof(user=alice, binding="s", now=clock.now())
    clock.advance(seconds=services.PASSWORD_PROOF_SECONDS + 1)
    with pytest.raises(DomainError) as late:
        _second(proof, "s", totp_code(alice, steps_ahead=1), clock)
    assert late.value.code == "sign_in_expired"

    proof = services.password_proof(user=alice, binding="s", now=clock.now())
    signed_in = services.sign_in(
        username="alice",
        password=PASSWORD,
        otp_code=totp_code(alice, steps_ahead=2),
        kind="api",
        now=clock.now(),
        **solved_captcha(),
    )
    services.password_change(
        user=alice,
        session=signed_in.session,
        current_password=PASSWORD,
        new_password=NEW_PASSWORD,
        new_password_again=NEW_PASSWORD,
        now=clock.now(),
    )
    with pytest.raises(DomainError) as changed:
        _second(proof, "s", totp_code(alice, steps_ahead=3), clock)
    assert changed.value.code == "sign_in_expired"


def test_the_second_step_still_meets_the_lockout_and_counts_wrong_codes(make_user: Any, clock: Any):
    alice = _enrolled(make_user, clock)
    proof = services.password_proof(user=alice, binding="s", now=clock.now())
    for _ in range(5):
        assert _second(proof, "s", "000000", clock).result == "bad_otp"
    locked = _second(proof, "s", totp_code(alice, steps_ahead=1), clock)
    assert locked.result == "locked_out" and locked.error.code == "invalid_credentials"
    assert SecurityEvent.objects.filter(user=alice, reason="bad_otp").count() == 5


def test_a_permission_refusal_is_recorded_with_the_missing_permission(make_user: Any, clock: Any):
    bob = make_user("bob")
    record_permission_denied(
        user=bob, code="permission_denied", detail="ledger.account.freeze", now=clock.now()
    )
    event = SecurityEvent.objects.get()
    assert (event.reason, event.user, event.detail) == (
        "permission_denied",
        bob,
        "ledger.account.freeze",
    )
    assert event.organisation_id_snapshot == bob.organisation_id


def test_the_user_is_told_of_the_lockout_through_the_outbox(make_user: Any, clock: Any):
    """Sign-in answers a locked-out user like an unknown one; the user learns of the
    lockout by e-mail (once, when it starts), delivered by the outbox."""
    from django.core import mail

    from custodesk.notify import services as notify
    from custodesk.notify.models import Message

    make_user("alice")
    _lock_out("alice", clock=clock)
    attempt("alice", clock=clock)  # refused while locked out: no second message
    attempt("nobody", clock=clock)
    messages = list(Message.objects.filter(template="identity.locked_out"))
    assert [m.recipient for m in messages] == ["alice@example.com"]
    notify.deliver_due(clock=clock)
    sent = [m for m in mail.outbox if m.to == ["alice@example.com"]]
    assert len(sent) == 1
    until = (clock.now() + dt.timedelta(minutes=15)).strftime("%Y-%m-%d %H:%M")
    assert "alice" in sent[0].body and until in sent[0].body


def test_a_lockout_is_recorded_even_when_the_contact_cannot_be_used(make_user: Any, clock: Any):
    from custodesk.notify.models import Message

    make_user("bob")
    User.objects.filter(username="bob").update(email="", phone="not a phone")
    _lock_out("bob", clock=clock)
    assert SecurityEvent.objects.filter(reason="lockout_started", username="bob").exists()
    assert not Message.objects.filter(template="identity.locked_out").exists()
