"""The contracts' demo step (``custodesk demo``, after the markets and the members): the
individual member has signed with GBCE; the enterprise member has bound its settlement
account, has an operator and a reviewer, a contract in force with GBCE and a signing
with SHMX waiting for its reviewer.

The SMS codes and the card authentication of the interfaces are skipped (there is no
phone to read them from): the commands go to the approval engine as the interfaces
send them, and the demo users sign in with identity's demo password."""

from __future__ import annotations

from typing import Any

from custodesk.approvals import services as approvals
from custodesk.core.modules import DemoRun
from custodesk.identity import services as identity
from custodesk.identity.models import Role, User
from custodesk.markets.models import Market
from custodesk.members.models import BoundCard, MemberProfile

from . import services
from .selfservice import _card_replace

DEMO_PASSWORD = "BackOffice-2026"  # noqa: S105 - identity's demo password, demo databases only


def _sign(actor: User, market: Market, card: BoundCard, code: str, run: DemoRun) -> Any:
    return approvals.submit(
        actor=actor,
        action_type=services.SIGN,
        payload={
            "market_id": str(market.public_id),
            "member_code": code,
            "card_id": str(card.public_id),
            "currency": market.currencies[0],
            "agreement_version": market.agreement_version,
            "agreement_accepted": True,
            "accepted_at": run.now.isoformat(),
        },
        now=run.now,
    )


def _user(admin: User, username: str, full_name: str, role: str, run: DemoRun) -> User:
    user, _ = identity.user_create(
        actor=admin,
        organisation_id=None,
        username=username,
        full_name=full_name,
        email=f"{username}@example.com",
        password=DEMO_PASSWORD,
        must_change_password=False,
        now=run.now,
    )
    r = Role.objects.get(organisation_id=admin.organisation_id, code=role)
    approvals.submit(
        actor=admin,
        action_type="identity.role_grant",
        payload={"user_id": str(user.public_id), "role_id": str(r.public_id)},
        now=run.now,
    )
    user.forget_permissions()
    return user


def seed(run: DemoRun) -> None:
    gbce = Market.objects.filter(code="GBCE").first()
    shmx = Market.objects.filter(code="SHMX").first()
    if gbce is None or shmx is None:
        return
    individual = MemberProfile.objects.filter(member_type="individual").first()
    if individual is not None:
        person = User.objects.filter(organisation=individual.organisation).first()
        card = BoundCard.objects.filter(member=individual, status="current").first()
        if person is not None and card is not None:
            _sign(person, gbce, card, "GB-P-0001", run)
    enterprise = MemberProfile.objects.filter(member_type="enterprise").first()
    if enterprise is None:
        return
    admin = User.objects.filter(organisation=enterprise.organisation).order_by("pk").first()
    if admin is None:
        return
    card = _card_replace(
        actor=admin,
        profile=enterprise,
        bank_code="104",
        branch_code="",
        card_number="6216610200016587010",
        phone=enterprise.mobile,
        now=run.now,
        business_date=run.business_date,
    )
    operator = _user(admin, "mingzhu.operator", "赵敏", "custody_operator", run)
    reviewer = _user(admin, "mingzhu.reviewer", "孙浩", "custody_reviewer", run)
    sub = _sign(operator, gbce, card, "GB-E-0001", run)
    approvals.approve(actor=reviewer, request_id=sub.request.public_id, now=run.now)
    _sign(operator, shmx, card, "SH-E-0001", run)  # waits in the reviewer's inbox


def notes() -> str:
    return (
        "Contracts: mingzhu.operator and mingzhu.reviewer (password as above; first sign-in "
        "enrols an authenticator) sign and review under Custody → Contracts; a signing "
        "with SHMX waits for the reviewer."
    )
