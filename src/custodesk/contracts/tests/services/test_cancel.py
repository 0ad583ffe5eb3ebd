"""Cancelling a contract (CT-CANCEL / M-CANCEL): every condition refused with its own
code and nothing changed; the cancel goes through once they clear."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from custodesk.approvals import services as approvals
from custodesk.approvals.errors import PreconditionFailed
from custodesk.contracts import services
from custodesk.contracts.errors import (
    ContractHasBalance,
    ContractHasOpenTrades,
    ContractInDispute,
    ContractMovedFundsToday,
    ContractNotActive,
)
from custodesk.contracts.models import Contract, ContractMarketState
from custodesk.contracts.tests.conftest import deposit, withdraw
from custodesk.core.errors import NotFound, PermissionDenied
from custodesk.ledger import facade as ledger
from custodesk.ledger.models import LedgerAccount

pytestmark = pytest.mark.django_db


@pytest.fixture
def market_staff(market: Any, clock: Any) -> Any:
    from custodesk.identity import services as identity
    from custodesk.identity.models import Role, User

    market_admin = User.objects.get(organisation=market.organisation, username="shfeadmin")
    user, _ = identity.user_create(
        actor=market_admin,
        organisation_id=None,
        username="shfe.clerk",
        full_name="Clerk",
        email="clerk@example.com",
        password="Correct-Horse-42",
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
def contract(market: Any, enterprise: Any, operator: Any, reviewer: Any, clock: Any) -> Contract:
    sub = services.sign_submit(
        actor=operator,
        market_id=market.public_id,
        member_code="M0001",
        card_id=enterprise.card.public_id,
        currency=None,
        agreement_version=market.agreement_version,
        agreement_accepted=True,
        now=clock.now(),
    )
    approvals.approve(actor=reviewer, request_id=sub.request.public_id, now=clock.now())
    return Contract.objects.get()


def cancel(operator: Any, contract: Contract, clock: Any) -> Any:
    return services.cancel_submit(
        actor=operator,
        contract_id=contract.public_id,
        now=clock.now(),
        business_date=clock.business_date(),
    )


def next_day(clock: Any) -> None:
    clock.advance(days=1)
    clock.set_business_date(None)


def unchanged(contract: Contract) -> None:
    contract.refresh_from_db()
    assert contract.status == "active"
    assert LedgerAccount.objects.get(pk=contract.sub_ledger_account_id).status == "open"


def report(staff: Any, contract: Contract, clock: Any, trades: int = 0, disputes: int = 0) -> None:
    services.market_state_report(
        actor=staff,
        contract_id=contract.public_id,
        open_trades=trades,
        open_disputes=disputes,
        now=clock.now(),
    )


def test_open_trades_then_cleared(contract, operator, reviewer, market_staff, clock):
    report(market_staff, contract, clock, trades=2)
    with pytest.raises(ContractHasOpenTrades) as exc:
        cancel(operator, contract, clock)
    assert exc.value.code == "contract_has_open_trades"
    unchanged(contract)
    report(market_staff, contract, clock, trades=0)
    sub = cancel(operator, contract, clock)
    approvals.approve(actor=reviewer, request_id=sub.request.public_id, now=clock.now())
    contract.refresh_from_db()
    assert contract.status == "cancelled" and contract.cancelled_by == reviewer
    assert LedgerAccount.objects.get(pk=contract.sub_ledger_account_id).status == "closed"


def test_open_dispute(contract, operator, market_staff, clock):
    report(market_staff, contract, clock, disputes=1)
    with pytest.raises(ContractInDispute) as exc:
        cancel(operator, contract, clock)
    assert exc.value.code == "contract_in_dispute"
    unchanged(contract)
    report(market_staff, contract, clock)
    assert not cancel(operator, contract, clock).executed  # waits for the reviewer now


def test_balance_then_moved_funds_today_then_next_day(contract, market, operator, reviewer, clock):
    day = clock.business_date()
    deposit(market, contract.sub_ledger_account_id, "100.00", now=clock.now(), day=day)
    with pytest.raises(ContractHasBalance) as exc:
        cancel(operator, contract, clock)
    assert exc.value.code == "contract_has_balance"
    unchanged(contract)
    withdraw(market, contract.sub_ledger_account_id, "100.00", now=clock.now(), day=day)
    with pytest.raises(ContractMovedFundsToday) as moved:
        cancel(operator, contract, clock)
    assert moved.value.code == "contract_moved_funds_today"
    unchanged(contract)
    next_day(clock)
    sub = cancel(operator, contract, clock)
    approvals.approve(actor=reviewer, request_id=sub.request.public_id, now=clock.now())
    contract.refresh_from_db()
    assert contract.status == "cancelled"


def test_a_pending_hold_is_a_balance(contract, market, operator, clock):
    from custodesk.core.money import Money
    from custodesk.markets.models import MarketLedgerAccount

    yesterday = clock.business_date() - dt.timedelta(days=1)
    deposit(market, contract.sub_ledger_account_id, "10.00", now=clock.now(), day=yesterday)
    summary = MarketLedgerAccount.objects.get(market=market).summary_account_id
    hold = ledger.hold(
        actor=None,
        debit_account_id=contract.sub_ledger_account_id,
        credit_account_id=summary,
        amount=Money.from_decimal("10.00", "CNY"),
        now=clock.now(),
        business_date=yesterday,
    )
    with pytest.raises(ContractHasBalance):
        cancel(operator, contract, clock)
    ledger.post_hold(actor=None, hold_id=hold.id, now=clock.now(), business_date=yesterday)
    cancel(operator, contract, clock)  # nothing left, nothing moved today


def test_a_condition_appearing_before_the_review_stops_the_cancel(
    contract, market, operator, reviewer, clock
):
    sub = cancel(operator, contract, clock)
    deposit(
        market, contract.sub_ledger_account_id, "1.00", now=clock.now(), day=clock.business_date()
    )
    with pytest.raises(PreconditionFailed) as exc:
        approvals.approve(actor=reviewer, request_id=sub.request.public_id, now=clock.now())
    assert exc.value.data["cause"] == "contract_has_balance"
    unchanged(contract)


def test_a_cancelled_contract_cannot_be_cancelled_again(contract, operator, reviewer, clock):
    sub = cancel(operator, contract, clock)
    approvals.approve(actor=reviewer, request_id=sub.request.public_id, now=clock.now())
    with pytest.raises(ContractNotActive):
        cancel(operator, contract, clock)


def test_blockers_registered_by_other_modules_run_too(contract, operator, clock):
    from custodesk.contracts import blockers
    from custodesk.contracts.errors import ContractBlocked

    class PendingWithdrawal(ContractBlocked):
        code = "contract_has_pending_withdrawal"

    def check(c: Contract, **_: Any) -> None:
        raise PendingWithdrawal()

    services.register_cancel_blocker("test.pending_withdrawal", check, order=50)
    try:
        with pytest.raises(PendingWithdrawal):
            cancel(operator, contract, clock)
    finally:
        blockers._blockers.pop("test.pending_withdrawal")


def test_another_member_and_another_market_see_404(
    contract, other_market, individual, clock, admin, checker
):
    with pytest.raises(NotFound):
        services.cancel_submit(
            actor=individual.admin,
            contract_id=contract.public_id,
            now=clock.now(),
            business_date=clock.business_date(),
        )
    from custodesk.identity.models import User

    other_admin = User.objects.get(username="dceadmin")
    with pytest.raises(NotFound):
        services.market_state_report(
            actor=other_admin,
            contract_id=contract.public_id,
            open_trades=1,
            open_disputes=0,
            now=clock.now(),
        )
    assert not ContractMarketState.objects.exists()


def test_only_the_market_reports(contract, operator, clock):
    with pytest.raises(PermissionDenied):
        report(operator, contract, clock, trades=1)


def test_contract_in_force_for_the_funds_module(contract, operator, reviewer, individual, clock):
    from custodesk.contracts import selectors

    assert selectors.contract_in_force(actor=operator, contract_id=contract.public_id) == contract
    with pytest.raises(NotFound):
        selectors.contract_in_force(actor=individual.admin, contract_id=contract.public_id)
    sub = cancel(operator, contract, clock)
    approvals.approve(actor=reviewer, request_id=sub.request.public_id, now=clock.now())
    with pytest.raises(ContractNotActive):
        selectors.contract_in_force(actor=operator, contract_id=contract.public_id)
