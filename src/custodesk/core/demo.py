"""Demo data for `make run` / `custodesk demo`: built through the services, like real use."""

from __future__ import annotations

from typing import Any

from custodesk.core import clock, context
from custodesk.core.cli import cli_context

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


def seed(*, if_new: bool) -> bool:
    from custodesk.approvals import services as approvals
    from custodesk.identity import services
    from custodesk.identity.models import Role, User, UserSession

    if if_new and User.objects.exists():
        return False
    now = clock.now()
    with context.bind(cli_context()):
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
        # A little sign-in history: a failed attempt and a successful one.
        services.sign_in(
            username="operator",
            password="wrong-password-1",  # noqa: S106 - a deliberate failed attempt
            otp_code=None,
            kind=UserSession.Kind.CONSOLE,
            now=now,
        )
        services.sign_in(
            username="operator",
            password=DEMO_PASSWORD,
            otp_code=None,
            kind=UserSession.Kind.API,
            now=now,
        )
        _seed_ledger(actor=admin, now=now, business_date=clock.business_date())
    return True


def _seed_ledger(*, actor: Any, now: Any, business_date: Any) -> None:
    """A living ledger: a market's summary and suspense accounts, members' sub-accounts,
    deposits, trades between members, holds posted, voided and still open, refused
    attempts, and freezes (a court order in force, an amount freeze that expires, one
    released)."""
    import datetime as dt
    import random

    from custodesk.ledger import services as ledger
    from custodesk.ledger.services import TransferSpec

    rnd = random.Random(2026)
    accounts: dict[str, list[Any]] = {}
    for currency in ("HKD", "CNY", "USD"):
        summary = ledger.account_open(
            actor=None,
            code=f"MKT01-SUM-{currency}",
            name=f"Market 01 summary ({currency})",
            kind="market_summary",
            currency=currency,
            hot=True,
            now=now,
        )
        ledger.account_open(
            actor=None,
            code=f"MKT01-SUS-{currency}",
            name=f"Market 01 suspense ({currency})",
            kind="market_suspense",
            currency=currency,
            debits_must_not_exceed_credits=True,
            now=now,
        )
        members = [
            ledger.account_open(
                actor=None,
                code=f"MKT01-M{n:03d}-{currency}",
                name=f"Member {n:03d}",
                kind="member_sub",
                currency=currency,
                debits_must_not_exceed_credits=True,
                owner_type="member",
                owner_id=f"M{n:03d}",
                now=now,
            )
            for n in range(1, 13)
        ]
        accounts[currency] = [summary, *members]
    day = business_date - dt.timedelta(days=5)
    for step in range(6):
        at = now - dt.timedelta(days=5 - step)
        for currency, (summary, *members) in accounts.items():
            specs = [
                TransferSpec(
                    summary.pk,
                    m.pk,
                    rnd.randrange(50_000, 5_000_000),
                    currency,
                    kind="deposit",
                    metadata={"channel": "bank"},
                )
                for m in rnd.sample(members, 6)
            ]
            specs += [
                TransferSpec(
                    a.pk,
                    b.pk,
                    rnd.randrange(1_000, 800_000),
                    currency,
                    kind="trade",
                    metadata={"trade_ref": f"T{step}{i:03d}"},
                )
                for i, (a, b) in enumerate(rnd.sample(members, 2) for _ in range(6))
            ]
            specs += [  # a withdrawal too large for the member: refused and recorded
                TransferSpec(members[0].pk, summary.pk, 10**11, currency, kind="withdrawal")
            ]
            outs = ledger.book(specs, now=at, business_date=day + dt.timedelta(days=step))
            holds = [
                ledger.book_one(
                    TransferSpec(
                        m.pk,
                        summary.pk,
                        rnd.randrange(1_000, 20_000),
                        currency,
                        flag="pending",
                        kind="withdrawal",
                        timeout_seconds=86_400 * 3,
                    ),
                    now=at,
                    business_date=day + dt.timedelta(days=step),
                )
                for m in rnd.sample(members, 3)
            ]
            ok_holds = [h for h in holds if h.ok and h.transfer]
            for n, h in enumerate(ok_holds[:-1]):
                assert h.transfer is not None
                ledger.book_one(
                    TransferSpec(
                        flag="post_pending" if n % 2 == 0 else "void_pending",
                        pending_id=h.transfer["internal_id"],
                        kind="withdrawal",
                    ),
                    now=at + dt.timedelta(minutes=5),
                    business_date=day + dt.timedelta(days=step),
                )
            assert any(o.ok for o in outs)
    from custodesk.ledger.models import LedgerAccount

    def available(a: Any) -> int:
        dp, cp, dpe, _cpe = ledger.counters(LedgerAccount.objects.get(pk=a.pk))
        return cp - dp - dpe

    richest, second, *_rest, poorest = sorted(accounts["HKD"][1:], key=available, reverse=True)
    ledger.freeze_place(
        actor=actor, account_id=poorest.pk, kind="full", reason_code="COURT-ORDER",
        legal_reference="HCMP 2417/2026", now=now,
    )  # fmt: skip
    ledger.freeze_place(
        actor=actor, account_id=richest.pk, kind="amount", amount=available(richest) // 2,
        reason_code="MARGIN-CALL", expires_at=now + dt.timedelta(days=2), now=now,
    )  # fmt: skip
    kyc = ledger.freeze_place(
        actor=actor, account_id=second.pk, kind="credit", reason_code="KYC-REVIEW",
        now=now - dt.timedelta(days=3),
    )  # fmt: skip
    ledger.freeze_release(
        actor=actor, freeze_id=kyc.public_id, reason="KYC documents received", now=now
    )


def logins_text(settings: Any) -> str:
    lines = [
        "Demo logins (password for all: " + DEMO_PASSWORD + "):",
        *[f"  {u:<11} {role}" for u, _, role in DEMO_USERS],
        "  newcomer    no role; must change the password at first sign-in",
    ]
    return "\n".join(lines)
