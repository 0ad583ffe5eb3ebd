"""Builders for the funds tests: the contracts tests' market, enterprise member with its
operator and reviewer, an individual member (all through the services), and a contract
in force for each, signed through the contracts module's approvable action."""

from __future__ import annotations

from typing import Any

import pytest

from custodesk.approvals import services as approvals
from custodesk.contracts import services as contracts
from custodesk.contracts.models import Contract
from custodesk.contracts.tests.conftest import (  # noqa: F401 - fixtures
    GOOD_CARD,
    Member,
    add_user,
    checker,
    enterprise,
    individual,
    make_market,
    market,
    open_member,
    operator,
    other_market,
    reviewer,
)
from custodesk.funds import services
from custodesk.testing.fixtures import PASSWORD
from custodesk.testing.governance import delivered_code


def sign(
    actor: Any,
    market: Any,
    member: Member,
    clock: Any,
    *,
    code: str = "M0001",
    approver: Any = None,
    **kw: Any,
) -> Contract:
    sub = contracts.sign_submit(
        actor=actor,
        market_id=market.public_id,
        member_code=code,
        card_id=member.card.public_id,
        currency=None,
        agreement_version=market.agreement_version,
        agreement_accepted=True,
        now=clock.now(),
        **kw,
    )
    if not sub.executed:
        approvals.approve(actor=approver, request_id=sub.request.public_id, now=clock.now())
    return Contract.objects.get(member=member.profile, market=market, status="active")


@pytest.fixture
def contract(market: Any, enterprise: Member, operator: Any, reviewer: Any, clock: Any) -> Contract:
    return sign(operator, market, enterprise, clock, approver=reviewer)


def sms(actor: Any, direction: str, clock: Any) -> dict[str, Any]:
    """An individual's SMS code for a deposit or withdrawal, read back from the embedded
    gateway (the outbox delivered)."""
    ch = services.sms_code_send(actor=actor, direction=direction, now=clock.now())
    return {"challenge_id": ch.public_id, "sms_code": delivered_code(ch.phone, clock=clock)}


def deposit(actor: Any, contract: Contract, amount: str, clock: Any, key: str, **kw: Any) -> Any:
    return services.deposit_submit(
        actor=actor,
        contract_id=contract.public_id,
        amount=amount,
        idempotency_key=key,
        now=clock.now(),
        business_date=clock.business_date(),
        **kw,
    )


def withdraw(actor: Any, contract: Contract, amount: str, clock: Any, key: str, **kw: Any) -> Any:
    return services.withdrawal_submit(
        actor=actor,
        contract_id=contract.public_id,
        amount=amount,
        idempotency_key=key,
        now=clock.now(),
        business_date=clock.business_date(),
        **kw,
    )


__all__ = ["GOOD_CARD", "PASSWORD", "add_user", "make_market", "open_member"]
