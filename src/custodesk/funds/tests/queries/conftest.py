"""Builders for the query and statement tests: two markets, an enterprise member with a
Chinese name and a signed contract, another member in the same market, a market's
clerk; money moved through the ledger facade (as the funds services book it)."""

from __future__ import annotations

from typing import Any

import pytest

from custodesk.approvals import services as approvals
from custodesk.contracts import services as contracts
from custodesk.contracts.models import Contract
from custodesk.contracts.tests.conftest import (
    GOOD_CARD_2,
    Member,
    add_user,
    make_market,
    open_member,
)
from custodesk.core.money import Money
from custodesk.identity import services as identity
from custodesk.identity.models import Role, User
from custodesk.ledger import facade as ledger
from custodesk.markets.models import Market, MarketLedgerAccount
from custodesk.testing.fixtures import PASSWORD

MEMBER_NAME = "上海恒达贸易有限公司"


def summary_of(market: Market) -> int:
    return MarketLedgerAccount.objects.get(market=market, currency="CNY").summary_account_id


def suspense_of(market: Market) -> int:
    return MarketLedgerAccount.objects.get(market=market, currency="CNY").suspense_account_id


def book(debit: int, credit: int, amount: str, *, kind: str, clock: Any) -> Any:
    return ledger.transfer(
        actor=None,
        debit_account_id=debit,
        credit_account_id=credit,
        amount=Money.from_decimal(amount, "CNY"),
        kind=kind,
        now=clock.now(),
        business_date=clock.business_date(),
    )


def sign(
    member: Member, market: Market, code: str, operator: User, reviewer: User | None, clock: Any
) -> Contract:
    sub = contracts.sign_submit(
        actor=operator,
        market_id=market.public_id,
        member_code=code,
        card_id=member.card.public_id,
        currency=None,
        agreement_version=market.agreement_version,
        agreement_accepted=True,
        now=clock.now(),
    )
    if not sub.executed:
        assert reviewer is not None
        approvals.approve(actor=reviewer, request_id=sub.request.public_id, now=clock.now())
    return Contract.objects.get(market=market, member=member.profile, status="active")


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
        name=MEMBER_NAME,
        id_number="91350100M000100Y43",
        mobile="13900000001",
        now=clock.now(),
    )


@pytest.fixture
def operator(enterprise: Member, clock: Any) -> User:
    return add_user(enterprise, "ent.operator", "custody_operator", now=clock.now())


@pytest.fixture
def reviewer(enterprise: Member, clock: Any) -> User:
    return add_user(enterprise, "ent.reviewer", "custody_reviewer", now=clock.now())


@pytest.fixture
def contract(
    market: Market, enterprise: Member, operator: User, reviewer: User, clock: Any
) -> Contract:
    return sign(enterprise, market, "M0001", operator, reviewer, clock)


@pytest.fixture
def other_member(admin: Any, clock: Any) -> Member:
    return open_member(
        kind="enterprise",
        name="Pearl River Metals Ltd",
        id_number="91440101M000200X11",
        mobile="13900000003",
        card_number=GOOD_CARD_2,
        now=clock.now(),
    )


@pytest.fixture
def other_operator(other_member: Member, clock: Any) -> User:
    return add_user(other_member, "pearl.operator", "custody_operator", now=clock.now())


@pytest.fixture
def other_contract(
    market: Market, other_member: Member, other_operator: User, clock: Any
) -> Contract:
    reviewer = add_user(other_member, "pearl.reviewer", "custody_reviewer", now=clock.now())
    return sign(other_member, market, "M0002", other_operator, reviewer, clock)


def market_clerk(market: Market, username: str, clock: Any) -> User:
    market_admin = User.objects.get(
        organisation=market.organisation, username=f"{market.code.lower()}admin"
    )
    user, _ = identity.user_create(
        actor=market_admin,
        organisation_id=None,
        username=username,
        full_name="Clerk",
        email=f"{username}@example.com",
        password=PASSWORD,
        must_change_password=False,
        now=clock.now(),
    )
    role = Role.objects.get(organisation=market.organisation, code="market_staff")
    approvals.submit(
        actor=market_admin,
        action_type="identity.role_grant",
        payload={"user_id": str(user.public_id), "role_id": str(role.public_id)},
        now=clock.now(),
    )
    user.refresh_from_db()
    return user


@pytest.fixture
def market_staff(market: Market, clock: Any) -> User:
    return market_clerk(market, "shfe.clerk", clock)


@pytest.fixture
def counter(make_user: Any) -> User:
    return make_user("counter1", roles=["counter"])
