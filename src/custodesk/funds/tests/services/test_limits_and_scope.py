"""Limits per transaction and per day (the market's default, a member's own), explained;
an individual confirms with its SMS code and is applied at once; a member never sees
another member's movements."""

from __future__ import annotations

from typing import Any

import pytest

from custodesk.audit.models import AuditEntry
from custodesk.core.errors import NotFound, PermissionDenied, ValidationFailed
from custodesk.funds import selectors, services
from custodesk.funds.models import FundMovement
from custodesk.funds.tests.conftest import deposit, sign, sms, withdraw
from custodesk.identity.errors import InvalidVerificationCode

pytestmark = pytest.mark.django_db


def limit(admin: Any, market: Any, clock: Any, **kw: Any) -> Any:
    args = {"direction": "deposit", "currency": "CNY", **kw}
    return services.limit_set(actor=admin, market_id=market.public_id, now=clock.now(), **args)


def rule(exc: Any) -> tuple[str, str, str]:
    e = exc.value.errors[0]
    return e.field, e.rule, str(e.message)


def test_limits_per_transaction_and_per_day(admin, market, contract, enterprise, operator, clock):
    limit(admin, market, clock, per_transaction="500.00", daily="800.00")
    with pytest.raises(ValidationFailed) as exc:
        deposit(operator, contract, "500.01", clock, "l-1")
    assert rule(exc) == (
        "amount",
        "per_transaction_limit",
        "One deposit with this market may be at most 500.00 CNY.",
    )
    deposit(operator, contract, "500.00", clock, "l-2")
    with pytest.raises(ValidationFailed) as exc:
        deposit(operator, contract, "300.01", clock, "l-3")
    assert rule(exc)[1] == "daily_limit"
    assert "800.00 CNY: 500.00 CNY used today, 300.00 CNY left" in rule(exc)[2]
    deposit(operator, contract, "300.00", clock, "l-4")
    # the next business day starts afresh
    clock.advance(days=1)
    deposit(operator, contract, "300.00", clock, "l-5")
    # a member's own limit replaces the market's default; withdrawals are not limited
    limit(admin, market, clock, member_id=enterprise.profile.public_id, per_transaction="100.00")
    with pytest.raises(ValidationFailed):
        deposit(operator, contract, "100.01", clock, "l-6")
    assert FundMovement.objects.count() == 3
    audited = AuditEntry.objects.filter(action="funds.limit_set").order_by("id")
    assert audited.count() == 2
    assert audited[0].after == {"per_transaction": 50000, "daily": 80000, "currency": "CNY"}


def test_limits_are_staff_only_and_checked(admin, market, operator, clock):
    with pytest.raises(PermissionDenied):
        limit(operator, market, clock, per_transaction="1.00")
    with pytest.raises(ValidationFailed) as exc:
        limit(admin, market, clock, per_transaction="0", daily="1.001")
    assert rule(exc)[0] == "per_transaction"
    with pytest.raises(ValidationFailed) as exc:
        limit(admin, market, clock, per_transaction="10.00", daily="5.00")
    assert rule(exc)[1] == "above_daily"
    assert limit(admin, market, clock, per_transaction=None, daily=None) is None


def test_amount_rules(contract, operator, clock):
    for amount, expected in (
        ("0", "min_value"),
        ("1.001", "decimal"),
        ("-5", "decimal"),
        ("x", "decimal"),
    ):
        with pytest.raises(ValidationFailed) as exc:
            deposit(operator, contract, amount, clock, f"a-{expected}-{amount}")
        assert rule(exc)[0] == "amount", amount
    assert not FundMovement.objects.exists()


def test_individual_confirms_with_sms_and_is_applied_at_once(market, individual, clock):
    contract = sign(individual.admin, market, individual, clock, **_sms_sign(individual, clock))
    with pytest.raises(ValidationFailed):
        deposit(individual.admin, contract, "80.00", clock, "i-1")  # no code
    wrong = {**sms(individual.admin, "deposit", clock), "sms_code": "000000"}
    with pytest.raises(InvalidVerificationCode):
        deposit(individual.admin, contract, "80.00", clock, "i-1", **wrong)
    clock.advance(minutes=1)  # one code a minute
    sub = deposit(
        individual.admin, contract, "80.00", clock, "i-2", **sms(individual.admin, "deposit", clock)
    )
    assert sub.executed and sub.movement.status == "succeeded"
    w = withdraw(
        individual.admin,
        contract,
        "30.00",
        clock,
        "i-3",
        **sms(individual.admin, "withdrawal", clock),
    )
    assert w.executed and w.movement.status == "succeeded"
    rows = selectors.signed_contracts(actor=individual.admin)
    assert (rows[0]["balance"], rows[0]["available"], rows[0]["frozen"]) == (
        "50.00",
        "50.00",
        "0.00",
    )


def _sms_sign(member: Any, clock: Any) -> dict[str, Any]:
    from custodesk.contracts import services as contracts
    from custodesk.testing.governance import delivered_code

    ch = contracts.sms_code_send(actor=member.admin, purpose="contract_sign", now=clock.now())
    return {"challenge_id": ch.public_id, "sms_code": delivered_code(ch.phone, clock=clock)}


def test_a_member_never_sees_another_members_movement(
    market, contract, operator, individual, admin, clock
):
    m = deposit(operator, contract, "5.00", clock, "s-1").movement
    with pytest.raises(NotFound):
        selectors.movement(actor=individual.admin, movement_id=m.public_id)
    with pytest.raises(NotFound):
        services.movement_reject(
            actor=individual.admin, movement_id=m.public_id, reason="x", now=clock.now()
        )
    assert list(selectors.movements(actor=individual.admin)) == []
    assert [x.pk for x in selectors.movements(actor=operator)] == [m.pk]
    assert [x.pk for x in selectors.movements(actor=admin, market="SHFE")] == [m.pk]
