"""The maker–checker engine, told through role grants (MENU-ACL) and a test payment."""

import pytest

from custodesk.approvals import flows, selectors, services
from custodesk.approvals.errors import (
    AlreadyDecided,
    CannotCc,
    CannotTransfer,
    DuplicatePendingRequest,
    InitiatorCannotApprove,
    NotAnApprover,
    PreconditionFailed,
    RequestExpired,
    RequestNotPending,
)
from custodesk.approvals.models import ApprovalRequest, RequestAction
from custodesk.audit.models import AuditEntry
from custodesk.core.errors import NotFound, ValidationFailed
from custodesk.identity import services as identity
from custodesk.identity.models import Role, RoleGrant, User
from custodesk.testing.actions import PAYMENT
from custodesk.testing.governance import configure_flow, delete_flow, set_dual_admin

pytestmark = pytest.mark.django_db

LevelInput = flows.LevelInput


@pytest.fixture
def dual(admin, clock):
    set_dual_admin(
        actor=admin, organisation_id=admin.organisation.public_id, enabled=True, now=clock.now()
    )
    admin.organisation.refresh_from_db()
    return admin.organisation


@pytest.fixture
def admin2(make_user):
    return make_user("admin2", roles=["admin"])


def grant(actor, user, role_code, clock):
    role = Role.objects.get(organisation_id=user.organisation_id, code=role_code)
    return services.submit(
        actor=actor,
        action_type="identity.role_grant",
        payload={"user_id": str(user.public_id), "role_id": str(role.public_id)},
        now=clock.now(),
    )


def pay(actor, ref, amount, clock, currency="HKD"):
    return services.submit(
        actor=actor,
        action_type=PAYMENT,
        payload={"reference": ref, "amount": amount, "currency": currency},
        now=clock.now(),
    )


def holds(user, role_code):
    return RoleGrant.objects.filter(
        user=user, role__code=role_code, revoked_at__isnull=True
    ).exists()


# -- MENU-ACL: role grants ---------------------------------------------------------
def test_dual_admin_grant_needs_a_second_admin(admin, admin2, make_user, dual, clock):
    bob = make_user("bob")
    sub = grant(admin, bob, "approver", clock)
    assert not sub.executed and sub.request.status == "pending"
    assert not holds(bob, "approver")

    with pytest.raises(InitiatorCannotApprove) as exc:
        services.approve(actor=admin, request_id=sub.request.public_id, now=clock.now())
    assert exc.value.code == "initiator_cannot_approve" and exc.value.status == 403
    with pytest.raises(ValidationFailed) as exc:
        services.reject(actor=admin2, request_id=sub.request.public_id, reason=" ", now=clock.now())
    assert exc.value.errors[0].field == "reason"

    decision = services.approve(actor=admin2, request_id=sub.request.public_id, now=clock.now())
    assert decision.executed and decision.request.status == "approved"
    assert holds(bob, "approver")
    rid = str(sub.request.public_id)
    actions = list(
        AuditEntry.objects.filter(approval_request_id=rid)
        .order_by("seq")
        .values_list("action", "actor_username")
    )
    assert actions == [
        ("approval.submit", "admin"),
        ("approval.approve", "admin2"),
        ("role.grant", "admin2"),
        ("approval.execute", "admin2"),
    ]
    assert RoleGrant.objects.get(user=bob).approval_request_id == rid


def test_single_admin_mode_applies_at_once_and_is_audited(admin, make_user, clock):
    bob = make_user("bob")
    sub = grant(admin, bob, "approver", clock)
    assert sub.executed and sub.request.auto_approved and sub.request.status == "approved"
    assert holds(bob, "approver")
    rid = str(sub.request.public_id)
    assert set(
        AuditEntry.objects.filter(approval_request_id=rid).values_list("action", flat=True)
    ) == {"approval.submit", "role.grant", "approval.execute"}


def test_precondition_rechecked_at_execution_changes_nothing(admin, admin2, make_user, dual, clock):
    bob = make_user("bob")
    sub = grant(admin, bob, "approver", clock)
    identity.user_deactivate(actor=admin, user_id=bob.public_id, reason="left", now=clock.now())
    audit_before = AuditEntry.objects.count()
    with pytest.raises(PreconditionFailed) as exc:
        services.approve(actor=admin2, request_id=sub.request.public_id, now=clock.now())
    assert exc.value.code == "precondition_failed"
    assert exc.value.data["cause"] == "illegal_transition"
    req = ApprovalRequest.objects.get(pk=sub.request.pk)
    assert req.status == "pending"
    assert not holds(bob, "approver")
    assert not RequestAction.objects.filter(request=req, kind="approve").exists()
    assert AuditEntry.objects.count() == audit_before
    # the approver can still reject it, with a reason
    services.reject(actor=admin2, request_id=req.public_id, reason="user has left", now=clock.now())


def test_duplicate_pending_request_points_at_the_first(admin, make_user, dual, clock):
    bob = make_user("bob")
    first = grant(admin, bob, "approver", clock)
    with pytest.raises(DuplicatePendingRequest) as exc:
        grant(admin, bob, "approver", clock)
    assert exc.value.data["existing_request_id"] == str(first.request.public_id)
    # a different role is a different request
    assert not grant(admin, bob, "auditor", clock).executed


def test_withdrawn_and_expired_requests_cannot_be_approved(admin, admin2, make_user, dual, clock):
    bob = make_user("bob")
    sub = grant(admin, bob, "approver", clock)
    with pytest.raises(Exception) as exc:
        services.withdraw(actor=admin2, request_id=sub.request.public_id, now=clock.now())
    assert exc.value.code == "not_the_initiator"
    services.withdraw(actor=admin, request_id=sub.request.public_id, now=clock.now())
    with pytest.raises(RequestNotPending):
        services.approve(actor=admin2, request_id=sub.request.public_id, now=clock.now())

    again = grant(admin, bob, "approver", clock)  # the guard freed the slot
    clock.advance(hours=72)
    with pytest.raises(RequestExpired):
        services.approve(actor=admin2, request_id=again.request.public_id, now=clock.now())
    assert services.expire_due(now=clock.now()) == 1
    assert ApprovalRequest.objects.get(pk=again.request.pk).status == "expired"
    assert not holds(bob, "approver")


# -- flows: levels, N approvals, tiers -----------------------------------------------
def test_two_level_flow_and_distinct_approvers(admin, admin2, make_user, clock):
    carol = make_user("carol", roles=["approver"])
    configure_flow(
        actor=admin,
        action_type=PAYMENT,
        mode="review",
        levels=[
            LevelInput(name="desk", role_codes=["admin"]),
            LevelInput(name="head", role_codes=["admin", "approver"]),
        ],
        now=clock.now(),
    )
    sub = pay(admin, "P-1", "100.00", clock)
    req = sub.request
    assert req.level_count == 2 and req.status == "pending"
    d = services.approve(actor=admin2, request_id=req.public_id, now=clock.now())
    assert not d.executed and d.request.current_level == 2
    with pytest.raises(AlreadyDecided):
        services.approve(actor=admin2, request_id=req.public_id, now=clock.now())
    d = services.approve(actor=carol, request_id=req.public_id, now=clock.now())
    assert d.executed and d.result == {"paid": "P-1"}
    assert AuditEntry.objects.filter(action="testing.payment.execute").count() == 1


def test_a_level_needing_two_distinct_approvals(admin, admin2, make_user, clock):
    carol = make_user("carol", roles=["admin"])
    configure_flow(
        actor=admin,
        action_type=PAYMENT,
        mode="review",
        levels=[LevelInput(role_codes=["admin"], required_approvals=2)],
        now=clock.now(),
    )
    req = pay(admin, "P-2", "5.00", clock).request
    assert not services.approve(actor=admin2, request_id=req.public_id, now=clock.now()).executed
    assert services.approve(actor=carol, request_id=req.public_id, now=clock.now()).executed


@pytest.mark.parametrize(
    ("amount", "levels"),
    [("999999.99", 1), ("1000000.00", 2), ("1000000.01", 2)],
    ids=["below", "at", "above"],
)
def test_amount_tiers_threshold_is_inclusive(admin, clock, amount, levels):
    """One level below HKD 1,000,000; at the threshold and above, a second level."""
    configure_flow(
        actor=admin,
        action_type=PAYMENT,
        mode="review",
        levels=[
            LevelInput(role_codes=["admin"]),
            LevelInput(name="large", role_codes=["admin"], min_amount="1000000.00", currency="HKD"),
        ],
        now=clock.now(),
    )
    req = pay(admin, f"T-{amount}", amount, clock).request
    assert req.level_count == levels
    assert req.amount == int(amount.replace(".", ""))


def test_auto_flow_and_default_flow(admin, clock):
    configure_flow(actor=admin, action_type=PAYMENT, mode="auto", levels=[], now=clock.now())
    assert pay(admin, "A-1", "1.00", clock).executed
    delete_flow(actor=admin, action_type=PAYMENT, now=clock.now())
    # no flow for the action → the default flow "*" → here none → administrators
    req = pay(admin, "A-2", "1.00", clock).request
    assert req.status == "pending" and req.level_count == 1


def test_flow_configuration_is_validated(admin, clock):
    with pytest.raises(ValidationFailed) as exc:
        configure_flow(
            actor=admin,
            action_type=PAYMENT,
            mode="review",
            levels=[
                LevelInput(required_approvals=0, role_codes=["nope"]),
                LevelInput(min_amount="10.001", currency="HKD"),
            ],
            now=clock.now(),
        )
    fields = {e.field for e in exc.value.errors}
    assert {"levels.0.required_approvals", "levels.0.role_codes", "levels.1.min_amount"} <= fields


# -- transfer, CC, inboxes, batch ---------------------------------------------------
@pytest.fixture
def carol(make_user):
    """A third administrator (created before dual-admin mode is switched on)."""
    return make_user("carol", roles=["admin"])


def test_transfer_hands_the_decision_to_another_approver(
    admin, admin2, carol, make_user, dual, clock
):
    bob = make_user("bob")
    req = grant(admin, bob, "auditor", clock).request
    services.transfer(
        actor=admin2, request_id=req.public_id, to_user_id=carol.public_id, now=clock.now()
    )
    with pytest.raises(NotAnApprover):
        services.approve(actor=admin2, request_id=req.public_id, now=clock.now())
    assert req in selectors.pending_for(carol, now=clock.now())
    assert req not in selectors.pending_for(admin2, now=clock.now())
    assert services.approve(actor=carol, request_id=req.public_id, now=clock.now()).executed


@pytest.fixture
def dave_operator(make_user):
    return make_user("dave", roles=["operator"])


def test_transfer_only_to_someone_who_could_approve_the_level(
    admin, admin2, dave_operator, make_user, dual, clock
):
    """The bypass: a level handed to a user without the permission it needs, whose
    approval then executed the grant.  Refused, and nothing changes."""
    nobody = make_user("nobody")  # no role: cannot approve a role grant
    bob = make_user("bob")
    req = grant(admin, bob, "auditor", clock).request
    for target in (nobody, dave_operator):
        with pytest.raises(CannotTransfer) as exc:
            services.transfer(
                actor=admin2, request_id=req.public_id, to_user_id=target.public_id, now=clock.now()
            )
        assert exc.value.data["reason"] == "not_an_approver"
    assert not RequestAction.objects.filter(request=req, kind="transfer").exists()
    assert req in selectors.pending_for(admin2, now=clock.now())
    with pytest.raises(NotFound):  # not an approver, so not even shown the request
        services.approve(actor=nobody, request_id=req.public_id, now=clock.now())
    assert not holds(bob, "auditor")


def test_cc_only_to_users_who_could_approve(admin, admin2, carol, make_user, dual, clock):
    dave = make_user("dave")
    erin = carol
    bob = make_user("bob")
    req = grant(admin, bob, "auditor", clock).request
    with pytest.raises(CannotCc) as exc:
        services.cc(
            actor=admin,
            request_id=req.public_id,
            user_ids=[dave.public_id, erin.public_id],
            now=clock.now(),
        )
    assert exc.value.data["users"] == ["dave"]
    assert list(selectors.inbox(actor=erin, box="cc", now=clock.now())) == []
    services.cc(actor=admin, request_id=req.public_id, user_ids=[erin.public_id], now=clock.now())
    assert list(selectors.inbox(actor=erin, box="cc", now=clock.now())) == [req]
    with pytest.raises(NotFound):
        services.approve(actor=dave, request_id=req.public_id, now=clock.now())


def test_four_inboxes(admin, admin2, make_user, dual, clock):
    bob = make_user("bob")
    mine = grant(admin, bob, "auditor", clock).request
    theirs = grant(admin2, bob, "approver", clock).request
    # (admin also initiated the auto-approved grant that made admin2 an administrator)
    initiated = selectors.inbox(
        actor=admin, box="initiated", filters={"status": "pending"}, now=clock.now()
    )
    assert list(initiated) == [mine]
    assert list(selectors.inbox(actor=admin, box="pending", now=clock.now())) == [theirs]
    assert list(selectors.inbox(actor=admin2, box="pending", now=clock.now())) == [mine]
    services.approve(actor=admin2, request_id=mine.public_id, now=clock.now())
    assert list(selectors.inbox(actor=admin2, box="done", now=clock.now())) == [mine]
    assert list(selectors.inbox(actor=admin2, box="pending", now=clock.now())) == []
    assert selectors.pending_count(admin, now=clock.now()) == 1
    filtered = selectors.inbox(
        actor=admin,
        box="initiated",
        filters={"action_type": "identity.role_grant", "q": "bob", "status": "approved"},
        now=clock.now(),
    )
    assert list(filtered) == [mine]


def test_batch_approve_gives_a_result_per_request(admin, admin2, make_user, dual, clock):
    bob, carol, dave = make_user("bob"), make_user("carol"), make_user("dave")
    r1 = grant(admin, bob, "auditor", clock).request
    r2 = grant(admin, carol, "auditor", clock).request
    own = grant(admin2, dave, "auditor", clock).request
    results = services.batch_decide(
        actor=admin2,
        request_ids=[r1.public_id, own.public_id, r2.public_id],
        decision="approve",
        now=clock.now(),
    )
    assert [(r.ok, r.code) for r in results] == [
        (True, None),
        (False, "initiator_cannot_approve"),
        (True, None),
    ]
    assert results[0].executed and results[2].executed
    assert holds(bob, "auditor") and holds(carol, "auditor") and not holds(dave, "auditor")


def test_batch_reject_needs_a_reason(admin2, clock):
    with pytest.raises(ValidationFailed) as exc:
        services.batch_decide(actor=admin2, request_ids=[], decision="reject", now=clock.now())
    assert exc.value.errors[0].field == "reason"


def test_requests_of_other_organisations_are_not_found(admin, make_user, member_org, dual, clock):
    bob = make_user("bob")
    req = grant(admin, bob, "auditor", clock).request
    outsider = make_user("outsider", organisation=member_org)
    with pytest.raises(Exception) as exc:
        services.approve(actor=outsider, request_id=req.public_id, now=clock.now())
    assert exc.value.code == "not_found"
    assert User.objects.filter(username="outsider").exists()
