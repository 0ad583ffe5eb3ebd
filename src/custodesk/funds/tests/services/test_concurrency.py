"""Four operators of one member submit 50 withdrawals each at once against a balance
that covers 100 of them; reviewers approve concurrently (PostgreSQL row locks: SQLite
serialises writers, there is nothing to race there)."""

from __future__ import annotations

import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from custodesk.funds import services
from custodesk.funds.errors import InsufficientFunds
from custodesk.funds.models import FundMovement
from custodesk.funds.tests.conftest import add_user, deposit, withdraw
from custodesk.ledger import facade as ledger
from custodesk.ledger import services as ledger_services

OPERATORS = 4
EACH = 50
COVERED = 100


def run_threads(n: int, work: Callable[[int], Any], *, timeout: float = 600) -> list[Any]:
    """``work(i)`` in n threads started together; every exception reaches the test."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n
    errors: list[str] = []

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = work(i)
        except BaseException:
            errors.append(traceback.format_exc())
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + timeout
    for t in threads:
        t.join(timeout=max(0.1, deadline - time.monotonic()))
    assert not any(t.is_alive() for t in threads), "a thread did not finish in time"
    assert errors == [], "\n".join(errors)
    return results


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_four_operators_race_for_a_balance_covering_a_hundred(
    on_postgres, contract, enterprise, operator, reviewer, clock
):
    if not on_postgres:
        pytest.skip("row-lock races run on PostgreSQL (SQLite serialises writers)")
    operators = [operator] + [
        add_user(enterprise, f"ent.operator{i}", "custody_operator", now=clock.now())
        for i in range(1, OPERATORS)
    ]
    reviewers = [reviewer] + [
        add_user(enterprise, f"ent.reviewer{i}", "custody_reviewer", now=clock.now())
        for i in range(1, OPERATORS)
    ]
    funding = deposit(operator, contract, f"{COVERED * 7}.00", clock, "funding").movement
    services.movement_approve(actor=reviewer, movement_id=funding.public_id, now=clock.now())

    def submit(t: int) -> Counter[str]:
        seen: Counter[str] = Counter()
        for n in range(EACH):
            try:
                withdraw(operators[t], contract, "7.00", clock, f"w-{t}-{n}")
                seen["held"] += 1
            except InsufficientFunds:
                seen["insufficient_funds"] += 1
        return seen

    submitted = sum(run_threads(OPERATORS, submit), Counter())
    assert submitted == {"held": COVERED, "insufficient_funds": OPERATORS * EACH - COVERED}
    b = ledger.balances(actor=operator, account_id=contract.sub_ledger_account_id)
    assert (b.available.minor, b.pending_debits.minor) == (0, COVERED * 700)

    pending = list(
        FundMovement.objects.filter(direction="withdrawal", status="submitted")
        .order_by("pk")
        .values_list("public_id", flat=True)
    )

    def approve(t: int) -> Counter[str]:
        seen: Counter[str] = Counter()
        for mid in pending[t::OPERATORS]:
            m = services.movement_approve(actor=reviewers[t], movement_id=mid, now=clock.now())
            seen[m.status] += 1
        return seen

    decided = sum(run_threads(OPERATORS, approve), Counter())
    assert decided == {"succeeded": COVERED}
    b = ledger.balances(actor=operator, account_id=contract.sub_ledger_account_id)
    assert (b.posted.minor, b.available.minor, b.pending_debits.minor) == (0, 0, 0)
    assert FundMovement.objects.filter(direction="withdrawal").count() == COVERED
    assert ledger_services.verify() == []
