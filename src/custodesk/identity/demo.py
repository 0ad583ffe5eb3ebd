"""Identity's demo step (``custodesk demo``): users per role, a pending grant or two."""

from __future__ import annotations

from custodesk.approvals import services as approvals
from custodesk.core.modules import DemoRun

from . import services
from .models import Role, User, UserSession

DEMO_PASSWORD = "BackOffice-2026"  # noqa: S105 - printed for newcomers; demo databases only
DEMO_USERS = [
    # username, full name, role
    ("admin", "Ada Admin", "admin"),
    ("admin2", "Bob Second-Admin", "admin"),
    ("operator", "Olive Operator", "operator"),
    ("approver", "Arthur Approver", "approver"),
    ("compliance", "Cathy Compliance", "compliance"),
    ("auditor", "Ivan Auditor", "auditor"),
]


def seed(run: DemoRun) -> None:
    """The staff organisation, a user per role (grants through the approvals engine),
    dual-admin mode with two grants waiting, and a little sign-in history."""
    now = run.now
    admin, _ = services.bootstrap_admin(
        organisation_code="STAFF",
        organisation_name="Custodesk Demo Bank · back office",
        username="admin",
        full_name="Ada Admin",
        password=DEMO_PASSWORD,
        must_change_password=False,
        now=now,
    )
    for username, full_name, role_code in DEMO_USERS[1:]:
        user, _ = services.user_create(
            actor=admin,
            username=username,
            full_name=full_name,
            email=f"{username}@example.com",
            password=DEMO_PASSWORD,
            must_change_password=False,
            now=now,
        )
        role = Role.objects.get(organisation=admin.organisation, code=role_code)
        approvals.submit(
            actor=admin,
            action_type="identity.role_grant",
            payload={"user_id": str(user.public_id), "role_id": str(role.public_id)},
            now=now,
        )
    # Demo users skip the forced first-login change so a newcomer can look around;
    # "newcomer" shows the real first-login flow.
    services.user_create(
        actor=admin,
        username="newcomer",
        full_name="Nina Newcomer",
        password=DEMO_PASSWORD,
        now=now,
    )
    # Dual-admin mode from now on: role grants wait for a second administrator.
    # Two pending requests fill admin2's inbox.
    approvals.submit(
        actor=admin,
        action_type="identity.organisation_dual_admin",
        payload={"organisation_id": str(admin.organisation.public_id), "enabled": True},
        now=now,
    )
    operator = User.objects.get(username="operator")
    for code in ("compliance", "auditor"):
        role = Role.objects.get(organisation=admin.organisation, code=code)
        approvals.submit(
            actor=admin,
            action_type="identity.role_grant",
            payload={"user_id": str(operator.public_id), "role_id": str(role.public_id)},
            comment="cover for the compliance desk",
            now=now,
        )
    # A little sign-in history: a successful attempt and a failed one (after which the
    # next sign-in as "operator", within 15 minutes, asks for the captcha).
    services.sign_in(
        username="operator",
        password=DEMO_PASSWORD,
        otp_code=None,
        kind=UserSession.Kind.API,
        now=now,
    )
    services.sign_in(
        username="operator",
        password="wrong-password-1",  # noqa: S106 - a deliberate failed attempt
        otp_code=None,
        kind=UserSession.Kind.CONSOLE,
        now=now,
    )
    run.actors["admin"] = admin


def notes() -> str:
    lines = [
        "Demo logins (password for all: " + DEMO_PASSWORD + "):",
        *[f"  {u:<11} {role}" for u, _, role in DEMO_USERS],
        "  newcomer    no role; must change the password at first sign-in",
    ]
    return "\n".join(lines)
