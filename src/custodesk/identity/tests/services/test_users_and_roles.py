import pytest

from custodesk.approvals import services as approvals
from custodesk.audit.models import AuditEntry
from custodesk.core.errors import IllegalTransition, NotFound, PermissionDenied, ValidationFailed
from custodesk.identity import services
from custodesk.identity.errors import (
    CannotActOnSelf,
    RoleAlreadyGranted,
    UsernameTaken,
    WrongCurrentPassword,
)
from custodesk.identity.governance import USER_RESET_PASSWORD
from custodesk.identity.models import Role, RoleGrant, User, UserSession
from custodesk.testing.fixtures import PASSWORD
from custodesk.testing.governance import create_role, delivered_password
from custodesk.testing.governance import submit as gov_submit

pytestmark = pytest.mark.django_db


def role(code, org=None):
    return Role.objects.get(code=code, organisation__code=org or "STAFF")


def test_new_user_must_change_password_and_creation_is_audited(admin, clock):
    user, temp = services.user_create(
        actor=admin, username="carol", full_name="Carol C", now=clock.now()
    )
    assert user.must_change_password
    assert user.check_password(temp)
    assert user.password.startswith("argon2")
    entry = AuditEntry.objects.get(action="user.create", object_id=str(user.public_id))
    assert entry.actor_username == "admin"
    assert entry.after["must_change_password"] is True
    assert "password" not in entry.after


def test_user_validation_names_fields_and_changes_nothing(admin, clock):
    before = AuditEntry.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        services.user_create(
            actor=admin, username="1bad", full_name="", email="nope", now=clock.now()
        )
    fields = {(e.field, e.rule) for e in exc.value.errors}
    assert fields == {("username", "pattern"), ("full_name", "required"), ("email", "email")}
    assert not User.objects.filter(username="1bad").exists()
    assert AuditEntry.objects.count() == before


def test_usernames_are_unique_ignoring_case(admin, make_user, clock):
    make_user("carol")
    with pytest.raises(UsernameTaken):
        services.user_create(actor=admin, username="CAROL", full_name="x", now=clock.now())


def test_password_policy(admin, make_user, clock):
    alice = make_user("alice", must_change_password=True)
    with pytest.raises(ValidationFailed) as exc:
        services.password_change(
            user=alice,
            session=None,
            current_password=PASSWORD,
            new_password="short1",
            new_password_again="short1",
            now=clock.now(),
        )
    assert {e.field for e in exc.value.errors} == {"new_password"}
    assert "password_too_short" in {e.rule for e in exc.value.errors}
    with pytest.raises(ValidationFailed) as exc:
        services.password_change(
            user=alice,
            session=None,
            current_password=PASSWORD,
            new_password="onlyletterspassword",
            new_password_again="onlyletterspassword",
            now=clock.now(),
        )
    assert "password_letters_and_digits" in {e.rule for e in exc.value.errors}
    with pytest.raises(ValidationFailed) as exc:
        services.password_change(
            user=alice,
            session=None,
            current_password=PASSWORD,
            new_password="Good-Pass-123",
            new_password_again="Good-Pass-124",
            now=clock.now(),
        )
    assert exc.value.errors[0].field == "new_password_again"
    with pytest.raises(WrongCurrentPassword):
        services.password_change(
            user=alice,
            session=None,
            current_password="nope",
            new_password="Good-Pass-123",
            new_password_again="Good-Pass-123",
            now=clock.now(),
        )
    alice.refresh_from_db()
    assert alice.must_change_password and alice.check_password(PASSWORD)


def test_password_change_ends_the_other_sessions(make_user, clock):
    alice = make_user("alice", must_change_password=True)
    one = services.sign_in(
        username="alice",
        password=PASSWORD,
        otp_code=None,
        kind=UserSession.Kind.API,
        now=clock.now(),
    ).session
    two = services.sign_in(
        username="alice",
        password=PASSWORD,
        otp_code=None,
        kind=UserSession.Kind.API,
        now=clock.now(),
    ).session
    services.password_change(
        user=alice,
        session=one,
        current_password=PASSWORD,
        new_password="Good-Pass-123",
        new_password_again="Good-Pass-123",
        now=clock.now(),
    )
    one.refresh_from_db()
    two.refresh_from_db()
    assert one.ended_at is None
    assert two.end_reason == "password_changed"
    alice.refresh_from_db()
    assert not alice.must_change_password


def submit(actor, code, user, role_code, clock, org="STAFF"):
    return approvals.submit(
        actor=actor,
        action_type=f"identity.role_{code}",
        payload={"user_id": str(user.public_id), "role_id": str(role(role_code, org).public_id)},
        now=clock.now(),
    )


def test_grant_and_revoke_are_audited_with_before_and_after(admin, make_user, clock):
    bob = make_user("bob")
    sub = submit(admin, "grant", bob, "approver", clock)
    assert sub.executed and sub.request.auto_approved  # single-admin mode
    assert User.objects.get(pk=bob.pk).has_permission("identity.user.view")
    entry = AuditEntry.objects.filter(action="role.grant").order_by("-seq").first()
    assert entry.before == {"roles": []}
    assert entry.after["roles"] == ["approver"]
    assert entry.approval_request_id == str(sub.request.public_id)
    with pytest.raises(RoleAlreadyGranted):
        submit(admin, "grant", bob, "approver", clock)
    revoked = submit(admin, "revoke", bob, "approver", clock)
    assert revoked.executed
    grant = RoleGrant.objects.get(user=bob)
    assert grant.revoked_at == clock.now()
    assert not User.objects.get(pk=bob.pk).has_permission("identity.user.view")
    assert RoleGrant.objects.filter(user=bob).count() == 1  # kept, closed


def test_permissions_are_checked_in_services(make_user, clock):
    op = make_user("olive", roles=["operator"])
    target = make_user("target")
    with pytest.raises(PermissionDenied):
        submit(op, "grant", target, "admin", clock)
    with pytest.raises(PermissionDenied):
        services.user_lock(actor=op, user_id=target.public_id, reason="x", now=clock.now())


def test_other_organisations_data_is_not_found(admin, make_user, member_org, clock):
    outsider = make_user("m_admin", organisation=member_org)
    create_role(
        actor=admin,
        code="admin",
        name="Member admin",
        permissions=["identity.user.view", "identity.user.manage"],
        organisation_id=member_org.public_id,
        now=clock.now(),
    )
    submit(admin, "grant", outsider, "admin", clock, org="M001")
    outsider = User.objects.get(pk=outsider.pk)
    staff_user = make_user("staffer")
    with pytest.raises(NotFound):
        services.user_lock(
            actor=outsider, user_id=staff_user.public_id, reason="x", now=clock.now()
        )
    from custodesk.identity import selectors

    assert list(selectors.user_list(actor=outsider)) == [outsider]


def test_admin_cannot_lock_itself_or_drop_its_own_admin_role(admin, clock):
    with pytest.raises(CannotActOnSelf):
        services.user_lock(actor=admin, user_id=admin.public_id, reason="x", now=clock.now())
    with pytest.raises(IllegalTransition):
        submit(admin, "revoke", admin, "admin", clock)


def test_lock_requires_a_reason_and_ends_sessions(admin, make_user, clock):
    alice = make_user("alice")
    session = services.sign_in(
        username="alice",
        password=PASSWORD,
        otp_code=None,
        kind=UserSession.Kind.API,
        now=clock.now(),
    ).session
    with pytest.raises(ValidationFailed) as exc:
        services.user_lock(actor=admin, user_id=alice.public_id, reason="  ", now=clock.now())
    assert exc.value.errors[0].field == "reason"
    services.user_lock(actor=admin, user_id=alice.public_id, reason="fraud check", now=clock.now())
    session.refresh_from_db()
    assert session.end_reason == "user_locked"
    entry = AuditEntry.objects.get(action="user.lock")
    assert entry.reason == "fraud check"
    assert entry.before["status"] == "active" and entry.after["status"] == "locked"


def test_reset_password_forces_a_change(admin, make_user, clock):
    alice = make_user("alice")
    sub = gov_submit(admin, USER_RESET_PASSWORD, {"user_id": str(alice.public_id)}, now=clock.now())
    assert sub.executed and sub.request.result["delivered_by"] == "email"
    temp = delivered_password(alice.email, clock=clock)
    assert temp not in str(sub.request.result) and temp not in str(sub.request.payload)
    alice.refresh_from_db()
    assert alice.must_change_password and alice.check_password(temp)


def test_force_logout_one_and_all(admin, make_user, clock):
    alice = make_user("alice", roles=["operator"])
    s1, s2 = (
        services.sign_in(
            username="alice",
            password=PASSWORD,
            otp_code=None,
            kind=UserSession.Kind.API,
            now=clock.now(),
        ).session
        for _ in range(2)
    )
    services.session_force_logout(actor=admin, session_id=s1.public_id, now=clock.now())
    s1.refresh_from_db()
    assert s1.end_reason == "forced" and s1.ended_by == admin
    # a user may end its own sessions; not other people's
    bob = make_user("bob", roles=["operator"])
    with pytest.raises(PermissionDenied):
        services.sessions_force_logout_all(actor=bob, user_id=alice.public_id, now=clock.now())
    assert (
        services.sessions_force_logout_all(actor=admin, user_id=alice.public_id, now=clock.now())
        == 1
    )
    s2.refresh_from_db()
    assert s2.ended_at is not None


def test_unknown_permission_codes_are_refused(admin, clock):
    with pytest.raises(ValidationFailed) as exc:
        create_role(
            actor=admin, code="weird", name="Weird", permissions=["no.such.thing"], now=clock.now()
        )
    assert exc.value.errors[0].field == "permissions"
