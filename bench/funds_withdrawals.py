"""Withdrawals through the approval engine and the ledger on PostgreSQL (issue 14).

    python bench/funds_withdrawals.py [--count 10000] [--workers 2] [--batch 100]

One enterprise member with a contract in force and a funded sub-account; its operator
submits ``--count`` withdrawals of 1.00 CNY (each: limits, a ledger hold, the movement
and its first state row, the approval request, audit rows); then its reviewers approve
them in batches of ``--batch`` request ids, ``--workers`` processes in parallel, each
item in its own transaction as ``approvals.batch_decide`` does — the engine re-checks
and executes (movement ``approved``), and once the decision has committed the transfer
goes to the embedded rail and its success posts the hold (ledger) and queues the
market's webhook (outbox).  Measured: approved withdrawals per second over the whole
approval phase, and the latency of one approval end to end (p50 / p99).

The database ``$BENCH_FUNDS_DB`` (default ``bench_funds``) is dropped and created afresh
on every run (a benchmark database only).  Prints one human line and one ``BENCH_JSON``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HOST = os.environ.get("BENCH_PG_HOST", "127.0.0.1")
PORT = os.environ.get("BENCH_PG_PORT", "5432")
USER = os.environ.get("BENCH_PG_USER", "postgres")
DB = os.environ.get("BENCH_FUNDS_DB", "bench_funds")
URL = f"postgresql://{USER}@{HOST}:{PORT}/{DB}"


def configure() -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "custodesk.config.settings"
    os.environ["CUSTODESK_DATABASE_URL"] = URL
    os.environ.setdefault("CUSTODESK_SECRET_KEY", "bench")
    os.environ.setdefault("CUSTODESK_LOG_LEVEL", "WARNING")
    os.environ.setdefault("CUSTODESK_VAR_DIR", str(ROOT / "var" / "bench-funds"))
    import django

    django.setup()


def fresh_database() -> None:
    psql = ["psql", "-h", HOST, "-p", PORT, "-U", USER, "-d", "postgres", "-q", "-c"]
    subprocess.run([*psql, f'DROP DATABASE IF EXISTS "{DB}"'], check=True)
    subprocess.run([*psql, f'CREATE DATABASE "{DB}"'], check=True)
    env = {**os.environ, "CUSTODESK_DATABASE_URL": URL, "CUSTODESK_SECRET_KEY": "bench"}
    subprocess.run(
        [str(ROOT / ".venv" / "bin" / "custodesk"), "migrate", "-v", "0"], check=True, env=env
    )


def seed(count: int, reviewers: int) -> dict[str, Any]:
    """Market, member, operator, reviewers, contract, funding: through the services."""
    from custodesk.approvals import services as approvals
    from custodesk.contracts import services as contracts
    from custodesk.contracts.tests.conftest import add_user, make_market, open_member
    from custodesk.core import clock
    from custodesk.funds import services
    from custodesk.identity import services as identity
    from custodesk.testing.fixtures import grant_role

    now = clock.now()
    admin, _ = identity.bootstrap_admin(
        organisation_code="STAFF",
        organisation_name="Bench bank",
        username="benchadmin",
        full_name="Bench Admin",
        password="Perf-Ledger-2026",
        must_change_password=False,
        now=now,
    )
    checker, _ = identity.user_create(
        actor=admin,
        organisation_id=None,
        username="benchchecker",
        full_name="Bench Checker",
        email="checker@example.com",
        password="Perf-Ledger-2026",
        must_change_password=False,
        now=now,
    )
    grant_role(admin, checker, "admin", clock=clock.get_clock())
    market = make_market(admin, checker, code="BNCH", now=now)
    services.market_webhook_save(
        actor=admin,
        market_id=market.public_id,
        url="http://127.0.0.1:9/bench",
        secret="bench-webhook-secret-0123456789abcdef",
        now=now,
    )
    member = open_member(
        kind="enterprise",
        name="Bench Trading Co Ltd",
        id_number="91350100M000100Y43",
        mobile="13900000001",
        now=now,
    )
    operator = add_user(member, "bench.operator", "custody_operator", now=now)
    reviewer_users = [
        add_user(member, f"bench.reviewer{i}", "custody_reviewer", now=now)
        for i in range(reviewers)
    ]
    sub = contracts.sign_submit(
        actor=operator,
        market_id=market.public_id,
        member_code="B0001",
        card_id=member.card.public_id,
        currency=None,
        agreement_version=market.agreement_version,
        agreement_accepted=True,
        now=now,
    )
    approvals.approve(actor=reviewer_users[0], request_id=sub.request.public_id, now=now)
    from custodesk.contracts.models import Contract

    contract = Contract.objects.get(member=member.profile, market=market)
    funding = services.deposit_submit(
        actor=operator,
        contract_id=contract.public_id,
        amount=f"{count}.00",
        idempotency_key="funding",
        now=now,
        business_date=clock.business_date(),
    )
    services.movement_approve(
        actor=reviewer_users[0], movement_id=funding.movement.public_id, now=now
    )
    return {
        "operator": operator.pk,
        "reviewers": [r.pk for r in reviewer_users],
        "contract": str(contract.public_id),
    }


def submit_all(ids: dict[str, Any], count: int) -> tuple[list[str], float]:
    from custodesk.core import clock
    from custodesk.funds import services
    from custodesk.identity.models import User

    operator = User.objects.get(pk=ids["operator"])
    started = time.perf_counter()
    requests = []
    for n in range(count):
        sub = services.withdrawal_submit(
            actor=operator,
            contract_id=ids["contract"],
            amount="1.00",
            idempotency_key=f"bench-{n}",
            now=clock.now(),
            business_date=clock.business_date(),
        )
        requests.append(sub.request_id)
    return requests, time.perf_counter() - started


def approve_slice(args: tuple[int, list[str], int]) -> list[float]:
    """A worker process: approve its request ids in batches; each item's latency."""
    reviewer_pk, request_ids, batch = args
    configure()
    from django.db import connection

    from custodesk.approvals import services as approvals
    from custodesk.core import clock
    from custodesk.identity.models import User

    connection.close()
    reviewer = User.objects.get(pk=reviewer_pk)
    latencies: list[float] = []
    for start in range(0, len(request_ids), batch):
        for rid in request_ids[start : start + batch]:  # batch_decide: one transaction each
            t0 = time.perf_counter()
            approvals.approve(actor=reviewer, request_id=rid, now=clock.now())
            latencies.append(time.perf_counter() - t0)
    connection.close()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=100)
    cfg = parser.parse_args()
    fresh_database()
    configure()
    from django.db import connection

    from custodesk.funds.models import FundMovement
    from custodesk.ledger import services as ledger_services

    ids = seed(cfg.count, cfg.workers)
    requests, submit_seconds = submit_all(ids, cfg.count)
    connection.close()
    slices = [
        (ids["reviewers"][w], requests[w :: cfg.workers], cfg.batch) for w in range(cfg.workers)
    ]
    started = time.perf_counter()
    with mp.get_context("fork").Pool(cfg.workers) as pool:
        results = pool.map(approve_slice, slices)
    seconds = time.perf_counter() - started
    latencies = sorted(x for r in results for x in r)
    succeeded = FundMovement.objects.filter(direction="withdrawal", status="succeeded").count()
    problems = ledger_services.verify()
    out = {
        "bench": "funds_withdrawals",
        "count": cfg.count,
        "workers": cfg.workers,
        "batch": cfg.batch,
        "submitted_per_s": round(cfg.count / submit_seconds, 1),
        "approved": succeeded,
        "approved_per_s": round(succeeded / seconds, 1),
        "approval_p50_ms": round(statistics.median(latencies) * 1000, 1),
        "approval_p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1),
        "ledger_verify": "ok" if not problems else f"{len(problems)} problems",
    }
    print(
        f"funds withdrawals: {cfg.count} submitted at {out['submitted_per_s']}/s; "
        f"{succeeded} approved by {cfg.workers} reviewers at {out['approved_per_s']}/s, "
        f"one approval p50 {out['approval_p50_ms']} ms p99 {out['approval_p99_ms']} ms; "
        f"ledger verify {out['ledger_verify']}"
    )
    print("BENCH_JSON " + json.dumps(out))
    if problems or succeeded != cfg.count:
        sys.exit(1)


if __name__ == "__main__":
    main()
