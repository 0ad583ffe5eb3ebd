"""Member account query (ACCT-QUERY / LEDGER-QUERY): balances, frozen = the holds of
withdrawals waiting (plus amounts frozen), available; the market's receiving account;
each member sees its own, a market its members, staff all — else 404."""

from __future__ import annotations

from typing import Any

import pytest

from custodesk.contracts.tests.conftest import add_user
from custodesk.core.errors import NotFound, PermissionDenied
from custodesk.core.money import Money
from custodesk.funds import queries
from custodesk.funds.tests.queries.conftest import (
    MEMBER_NAME,
    book,
    market_clerk,
    sign,
    summary_of,
)
from custodesk.ledger import facade as ledger

pytestmark = pytest.mark.django_db


def _hold(contract: Any, market: Any, amount: str, clock: Any) -> Any:
    return ledger.hold(
        actor=None,
        debit_account_id=contract.sub_ledger_account_id,
        credit_account_id=summary_of(market),
        amount=Money.from_decimal(amount, "CNY"),
        kind="withdrawal",
        now=clock.now(),
        business_date=clock.business_date(),
    )


def test_member_sees_balance_frozen_available_and_status(contract, market, operator, clock):
    book(summary_of(market), contract.sub_ledger_account_id, "1000.00", kind="deposit", clock=clock)
    _hold(contract, market, "300.00", clock)
    ledger.freeze(
        actor=None,
        account_id=contract.sub_ledger_account_id,
        kind="amount",
        reason_code="court_order",
        amount=Money.from_decimal("50.00", "CNY"),
        legal_reference="(2026) Hu 01 Zhi 1",
        now=clock.now(),
    )
    [row] = list(queries.accounts(actor=operator))
    assert row["member_code"] == "M0001"
    assert row["member_name"] == MEMBER_NAME
    assert row["market_code"] == "SHFE"
    assert (row["balance"], row["frozen"], row["available"]) == ("1000.00", "350.00", "650.00")
    assert row["currency"] == "CNY"
    assert row["status"] == "active"


def test_detail_shows_the_market_receiving_account(contract, market, operator):
    d = queries.account_detail(actor=operator, contract_id=contract.public_id)
    assert d["receiving_account"]["account_no"] == market.summary_account_no
    assert d["receiving_account"]["account_name"] == market.summary_account_name
    assert d["receiving_account"]["bank"] == "Test Bank"
    assert d["sub_account"].startswith("SUB-SHFE-")
    assert d["card"] == "6222 •••• 0006"  # masked


def test_another_members_account_is_not_found(contract, other_contract, other_operator, operator):
    assert [r["member_code"] for r in queries.accounts(actor=other_operator)] == ["M0002"]
    with pytest.raises(NotFound):
        queries.account_detail(actor=other_operator, contract_id=contract.public_id)
    with pytest.raises(NotFound):
        queries.account_detail(actor=operator, contract_id="not-a-uuid")


def test_market_staff_see_their_members_only(
    contract, other_contract, market, other_market, enterprise, operator, reviewer, clock
):
    book(summary_of(market), contract.sub_ledger_account_id, "12.34", kind="deposit", clock=clock)
    in_other = sign(enterprise, other_market, "D0001", operator, reviewer, clock)
    clerk = market_clerk(market, "shfe.clerk", clock)
    rows = list(queries.accounts(actor=clerk))
    assert [(r["market_code"], r["member_code"], r["balance"]) for r in rows] == [
        ("SHFE", "M0001", "12.34"),
        ("SHFE", "M0002", "0.00"),
    ]
    with pytest.raises(NotFound):
        queries.account_detail(actor=clerk, contract_id=in_other.public_id)
    dce = market_clerk(other_market, "dce.clerk", clock)
    assert [r["member_code"] for r in queries.accounts(actor=dce)] == ["D0001"]


def test_staff_see_every_account(contract, other_contract, counter):
    rows = queries.accounts(actor=counter)
    assert {r["member_code"] for r in rows} == {"M0001", "M0002"}
    assert len(rows) == 2 and [r["member_code"] for r in rows[1:2]] == ["M0002"]
    assert [r["member_code"] for r in queries.accounts(actor=counter, q="m0002")] == ["M0002"]
    assert [r["member_name"] for r in queries.accounts(actor=counter, q="恒达")] == [MEMBER_NAME]
    assert len(queries.accounts(actor=counter, market="dce")) == 0


def test_a_member_user_without_the_query_permission_is_refused(enterprise, contract, clock):
    plain = add_user(enterprise, "ent.nobody", None, now=clock.now())
    with pytest.raises(PermissionDenied):
        queries.accounts(actor=plain)


def test_cancelled_contracts_only_when_asked(contract, operator, reviewer, clock):
    from custodesk.approvals import services as approvals
    from custodesk.contracts import services as contract_services

    sub = contract_services.cancel_submit(
        actor=operator,
        contract_id=contract.public_id,
        now=clock.now(),
        business_date=clock.business_date(),
    )
    approvals.approve(actor=reviewer, request_id=sub.request.public_id, now=clock.now())
    assert list(queries.accounts(actor=operator, status="active")) == []
    [row] = list(queries.accounts(actor=operator, status="cancelled"))
    assert (row["status"], row["balance"]) == ("cancelled", "0.00")
