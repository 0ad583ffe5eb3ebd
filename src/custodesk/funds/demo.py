"""The funds' demo step (``custodesk demo``, after the contracts): the enterprise
member's operator has deposited 50,000.00 with GBCE (approved by its reviewer, confirmed
by the embedded rail) and asked to withdraw 2,000.00, which waits for the reviewer with
its amount held; GBCE has a default deposit limit of 1,000,000.00 per transaction."""

from __future__ import annotations

from custodesk.contracts.models import Contract
from custodesk.core.modules import DemoRun
from custodesk.identity.models import User

from . import services


def seed(run: DemoRun) -> None:
    operator = User.objects.filter(username="mingzhu.operator").first()
    reviewer = User.objects.filter(username="mingzhu.reviewer").first()
    if operator is None or reviewer is None:
        return
    contract = (
        Contract.objects.select_related("market")
        .filter(member__organisation_id=operator.organisation_id, status="active")
        .order_by("pk")
        .first()
    )
    if contract is None:
        return
    admin = run.actors.get("admin")
    if admin is not None:
        services.limit_set(
            actor=admin,
            market_id=contract.market.public_id,
            direction="deposit",
            currency=contract.currency,
            per_transaction="1000000.00",
            now=run.now,
        )
    dep = services.deposit_submit(
        actor=operator,
        contract_id=contract.public_id,
        amount="50000.00",
        idempotency_key="demo-deposit-1",
        now=run.now,
        business_date=run.business_date,
    )
    services.movement_approve(actor=reviewer, movement_id=dep.movement.public_id, now=run.now)
    services.withdrawal_submit(
        actor=operator,
        contract_id=contract.public_id,
        amount="2000.00",
        idempotency_key="demo-withdrawal-1",
        now=run.now,
        business_date=run.business_date,
    )


def notes() -> str:
    return (
        "Funds: mingzhu.operator deposits and withdraws under Custody → Deposit / Withdrawal; "
        "a withdrawal of 2,000.00 waits for mingzhu.reviewer (Custody → Deposits and "
        "withdrawals); staff see every movement, unknown bank outcomes and limits."
    )
