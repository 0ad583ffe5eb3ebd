"""Sign-in: lockout with an injected clock, second factor, login-device records."""

import pytest

from custodesk.audit.models import AuditEntry
from custodesk.identity import services
from custodesk.identity.governance import USER_UNLOCK
from custodesk.identity.models import LoginDevice, User, UserSession
from custodesk.testing.fixtures import PASSWORD, totp_code
from custodesk.testing.governance import solved_captcha, submit

pytestmark = pytest.mark.django_db


def attempt(username, password=PASSWORD, otp=None, *, clock):
    # after a refused attempt a captcha is due: each attempt here solves one
    # (test_captcha.py checks the rule itself)
    return services.sign_in(
        username=username,
        password=password,
        otp_code=otp,
        kind=UserSession.Kind.API,
        now=clock.now(),
        **solved_captcha(),
    )


def test_successful_sign_in_opens_a_session_and_records_the_device(make_user, clock):
    make_user("alice")
    outcome = attempt("alice", clock=clock)
    assert outcome.ok and outcome.token.startswith("cdk_")
    session = outcome.session
    # only a digest of the token is stored
    assert session.token_hash != outcome.token and len(session.token_hash) == 64
    record = LoginDevice.objects.get(session=session)
    assert record.result == "success"
    assert record.ip == "127.0.0.1" and record.user_agent == "pytest"


def test_five_wrong_passwords_lock_the_user_for_fifteen_minutes(make_user, clock):
    make_user("alice")
    for _ in range(4):
        assert attempt("alice", "wrong-password-9", clock=clock).result == "bad_password"
    fifth = attempt("alice", "wrong-password-9", clock=clock)
    assert fifth.result == "bad_password"
    user = User.objects.get(username="alice")
    assert user.lockout_until == clock.now() + __import__("datetime").timedelta(minutes=15)
    assert AuditEntry.objects.filter(action="user.locked_out", object_repr="alice").exists()

    # the correct password is refused while the lockout lasts, with the answer an
    # unknown user gets (the lockout is not disclosed to whoever tries)
    locked = attempt("alice", clock=clock)
    assert locked.result == "locked_out" and locked.error.code == "invalid_credentials"
    clock.advance(minutes=14, seconds=59)
    assert attempt("alice", clock=clock).result == "locked_out"
    clock.advance(seconds=2)
    assert attempt("alice", clock=clock).ok
    assert [d.result for d in LoginDevice.objects.filter(username="alice").order_by("id")] == [
        *["bad_password"] * 5,
        "locked_out",
        "locked_out",
        "success",
    ]


def test_a_success_resets_the_failure_count(make_user, clock):
    make_user("alice")
    for _ in range(4):
        attempt("alice", "wrong-password-9", clock=clock)
    assert attempt("alice", clock=clock).ok
    for _ in range(4):
        attempt("alice", "wrong-password-9", clock=clock)
    assert attempt("alice", clock=clock).ok


def test_unknown_user_answers_like_a_wrong_password(db, clock):
    outcome = attempt("nobody", clock=clock)
    assert outcome.result == "unknown_user"
    assert outcome.error.code == "invalid_credentials"
    assert LoginDevice.objects.get(username="nobody").user is None


def test_locked_and_deactivated_users_cannot_sign_in(admin, make_user, clock):
    alice = make_user("alice")
    services.user_lock(
        actor=admin, user_id=alice.public_id, reason="left the desk", now=clock.now()
    )
    assert attempt("alice", clock=clock).error.code == "user_locked"
    submit(admin, USER_UNLOCK, {"user_id": str(alice.public_id)}, now=clock.now())
    assert attempt("alice", clock=clock).ok
    services.user_deactivate(actor=admin, user_id=alice.public_id, reason="left", now=clock.now())
    assert attempt("alice", clock=clock).error.code == "user_inactive"


def test_totp_code_is_required_and_never_accepted_twice(make_user, clock):
    alice = make_user("alice")
    services.totp_begin(user=alice, now=clock.now())
    recovery = services.totp_confirm(user=alice, code=totp_code(alice), now=clock.now())
    assert len(recovery) == 10

    assert attempt("alice", clock=clock).error.code == "otp_required"
    code = totp_code(alice, steps_ahead=1)
    assert attempt("alice", otp=code, clock=clock).ok
    replay = attempt("alice", otp=code, clock=clock)
    assert replay.result == "bad_otp" and replay.error.code == "invalid_otp"
    # recovery codes are single-use too
    assert attempt("alice", otp=recovery[0], clock=clock).ok
    assert attempt("alice", otp=recovery[0], clock=clock).result == "bad_otp"


def test_wrong_totp_codes_count_towards_lockout(make_user, clock):
    alice = make_user("alice")
    services.totp_begin(user=alice, now=clock.now())
    services.totp_confirm(user=alice, code=totp_code(alice), now=clock.now())
    for _ in range(5):
        attempt("alice", otp="000000", clock=clock)
    assert attempt("alice", otp=totp_code(alice, steps_ahead=1), clock=clock).result == "locked_out"


def test_totp_confirm_rejects_a_wrong_code_and_enrols_nothing(make_user, clock):
    alice = make_user("alice")
    services.totp_begin(user=alice, now=clock.now())
    with pytest.raises(Exception) as exc:
        services.totp_confirm(user=alice, code="123456x", now=clock.now())
    assert exc.value.code == "invalid_otp"
    assert not services.has_totp(alice)


def test_a_bearer_token_resolves_in_one_query_to_what_the_orm_loads(
    make_user, clock, django_assert_max_num_queries, monkeypatch
):
    """session_by_token is hand-written SQL (one query instead of two, no ORM compiling):
    it must give the same session, user, organisation and permission codes as the ORM."""
    from custodesk.core import sql
    from custodesk.identity.selectors import session_by_token

    make_user("alice", roles=["operator", "auditor"])
    outcome = attempt("alice", clock=clock)
    calls = []
    real_fetch = sql.fetch
    monkeypatch.setattr(sql, "fetch", lambda *a, **kw: calls.append(a) or real_fetch(*a, **kw))
    # (on PostgreSQL the prepared statement bypasses Django's query log: counted by hand)
    with django_assert_max_num_queries(1):
        fast = session_by_token(token=outcome.token)
        codes = fast.user.permission_codes()  # filled by that one query
    assert len(calls) == 1
    orm = UserSession.objects.select_related("user__organisation").get(pk=outcome.session.pk)
    user = User.objects.get(pk=orm.user_id)
    for got, want in (
        (fast, orm),
        (fast.user, orm.user),
        (fast.user.organisation, orm.user.organisation),
    ):
        fields = [f.attname for f in type(want)._meta.concrete_fields]
        assert {f: getattr(got, f) for f in fields} == {f: getattr(want, f) for f in fields}
    assert codes == user.permission_codes() and "audit.entry.view" in codes
    assert session_by_token(token=outcome.token + "x") is None
    assert session_by_token(token="") is None


def test_a_console_session_is_not_a_bearer_token(make_user, clock):
    from custodesk.identity.selectors import session_by_token

    make_user("bob")
    console = services.sign_in(
        username="bob", password=PASSWORD, otp_code=None, kind=UserSession.Kind.CONSOLE,
        now=clock.now(),
    )  # fmt: skip
    assert console.ok and session_by_token(token=console.token) is None
