"""Builders for the contracts tests: a market (through the markets' approvable create),
members with their first admin and bound card, operators and reviewers (through
identity's services and the approval engine), deposits through the ledger facade."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction

from custodesk.approvals import services as approvals
from custodesk.core.money import Money
from custodesk.identity import services as identity
from custodesk.identity.models import Role, User
from custodesk.ledger import facade as ledger
from custodesk.markets.models import Market, MarketLedgerAccount
from custodesk.members.models import BoundCard, MemberProfile
from custodesk.testing.fixtures import PASSWORD

GOOD_CARD = "6222020200000000006"  # the embedded verifier: last digit 6 → ok
GOOD_CARD_2 = "6222020200000000017"  # ok too
BAD_CARD = "6222020200000000001"  # card_name_mismatch

_SEQ = itertools.count(1)


@dataclass
class Member:
    profile: MemberProfile
    admin: User
    card: BoundCard

    @property
    def org(self) -> Any:
        return self.profile.organisation


def make_market(admin: Any, checker: Any, *, code: str, now: dt.datetime) -> Market:
    sub = approvals.submit(
        actor=admin,
        action_type="markets.market_create",
        payload={
            "code": code,
            "name": f"{code} Commodity Exchange",
            "summary_account_no": f"6222{next(_SEQ):012d}",
            "summary_account_name": f"{code} Exchange custody",
            "summary_bank": "Test Bank",
            "currencies": ["CNY"],
            "agreement_title": "Custody service agreement",
            "agreement_body": "The bank keeps the member's funds in custody.",
            "admin_username": f"{code.lower()}admin",
            "admin_full_name": f"{code} Admin",
            "admin_email": f"{code.lower()}@example.com",
        },
        now=now,
    )
    if not sub.executed:
        approvals.approve(actor=checker, request_id=sub.request.public_id, now=now)
    return Market.objects.get(code=code)


def open_member(
    *,
    kind: str,
    name: str,
    id_number: str,
    mobile: str,
    card_number: str | None = GOOD_CARD,
    holder_name: str | None = None,
    now: dt.datetime,
) -> Member:
    """A registered member as the members module leaves it (organisation, first admin with
    a known password, profile, current card)."""
    n = next(_SEQ)
    with transaction.atomic():
        org, user, _temp = identity.organisation_open(
            actor=None,
            code=f"MEM{n:04d}",
            name=name,
            kind="member",
            sign_in_factor="" if kind == "enterprise" else "sms",
            admin_username=f"member{n}",
            admin_full_name=name,
            admin_email=f"member{n}@example.com",
            admin_phone=mobile,
            admin_language="en",
            now=now,
        )
        user.set_password(PASSWORD)
        user.must_change_password = False
        user.save()
        profile = MemberProfile.objects.create(
            organisation=org,
            member_type=kind,
            id_type="uscc" if kind == "enterprise" else "cn_ric",
            id_number=id_number,
            name=name,
            legal_representative="Li Lei" if kind == "enterprise" else "",
            contact_name="Han Meimei" if kind == "enterprise" else "",
            mobile=mobile,
            address="1 Bund Road, Shanghai",
            language="en",
            created_at=now,
        )
        card = (
            BoundCard.objects.create(
                member=profile,
                bank_code="102",
                card_number=card_number,
                holder_name=holder_name or name,
                phone=mobile,
                bound_at=now,
            )
            if card_number
            else None
        )
    return Member(profile, user, card)  # type: ignore[arg-type]


def add_user(member: Member, username: str, role: str | None, *, now: dt.datetime) -> User:
    """The member's administrator creates a user and grants it a role (single-admin
    mode: applied at once)."""
    user, _ = identity.user_create(
        actor=member.admin,
        organisation_id=None,
        username=username,
        full_name=username.title(),
        email=f"{username}@example.com",
        phone="13800000000",
        password=PASSWORD,
        must_change_password=False,
        now=now,
    )
    if role:
        r = Role.objects.get(organisation=member.org, code=role)
        sub = approvals.submit(
            actor=member.admin,
            action_type="identity.role_grant",
            payload={"user_id": str(user.public_id), "role_id": str(r.public_id)},
            now=now,
        )
        assert sub.executed
    user.refresh_from_db()
    return user


def deposit(market: Market, account_id: int, amount: str, *, now: dt.datetime, day: Any) -> Any:
    accounts = MarketLedgerAccount.objects.get(market=market, currency="CNY")
    return ledger.transfer(
        actor=None,
        debit_account_id=accounts.summary_account_id,
        credit_account_id=account_id,
        amount=Money.from_decimal(amount, "CNY"),
        kind="deposit",
        now=now,
        business_date=day,
    )


def withdraw(market: Market, account_id: int, amount: str, *, now: dt.datetime, day: Any) -> Any:
    accounts = MarketLedgerAccount.objects.get(market=market, currency="CNY")
    return ledger.transfer(
        actor=None,
        debit_account_id=account_id,
        credit_account_id=accounts.summary_account_id,
        amount=Money.from_decimal(amount, "CNY"),
        kind="withdrawal",
        now=now,
        business_date=day,
    )


@pytest.fixture
def checker(make_user: Any) -> Any:
    return make_user("checker", roles=["admin"])


@pytest.fixture
def market(admin: Any, checker: Any, clock: Any) -> Market:
    return make_market(admin, checker, code="SHFE", now=clock.now())


@pytest.fixture
def other_market(admin: Any, checker: Any, clock: Any) -> Market:
    return make_market(admin, checker, code="DCE", now=clock.now())


@pytest.fixture
def enterprise(admin: Any, clock: Any) -> Member:
    return open_member(
        kind="enterprise",
        name="Hengda Trading Co Ltd",
        id_number="91350100M000100Y43",
        mobile="13900000001",
        now=clock.now(),
    )


@pytest.fixture
def individual(admin: Any, clock: Any) -> Member:
    return open_member(
        kind="individual",
        name="Wang Fang",
        id_number="11010519491231002X",
        mobile="13900000002",
        now=clock.now(),
    )


@pytest.fixture
def operator(enterprise: Member, clock: Any) -> User:
    return add_user(enterprise, "ent.operator", "custody_operator", now=clock.now())


@pytest.fixture
def reviewer(enterprise: Member, clock: Any) -> User:
    return add_user(enterprise, "ent.reviewer", "custody_reviewer", now=clock.now())
