"""Withdrawals through the approval engine and the ledger on PostgreSQL (issue 14).

    python bench/funds_withdrawals.py [--count 10000] [--singles 1000] [--workers 2] [--batch 100]

One enterprise member with a contract in force and a funded sub-account; its operator
submits ``--count`` + ``--singles`` withdrawals of 1.00 CNY (each: limits, a ledger
hold, the movement and its first state row, the approval request, audit rows).

1. **Bulk approval**: its reviewers approve ``--count`` of them with
   ``approvals.batch_decide``, ``--batch`` request ids a call, ``--workers`` processes in
   parallel.  Each call is one transaction set-based (``custodesk.approvals.batch``):
   the engine re-checks and executes the lot (movements ``approved``), and once the
   decision has committed the transfers are marked sent, go to the embedded rail, and
   their success posts the holds (one ledger booking) and queues the market's webhooks
   (outbox) — all before the call returns.  Measured: approved withdrawals per second
   over the whole phase, and the time of one call (p50 / p99).
2. **Single approvals**: the reviewers approve the other ``--singles`` one by one
   (``approvals.approve``, the console's approve button), ``--workers`` in parallel, each
   end to end with the rail and the posting.  Measured: the latency of one approval
   (p50 / p99).

The database ``$BENCH_FUNDS_DB`` (default ``bench_funds``) is dropped and created afresh
on every run (a benchmark database only).  Prints one human line and one
``BENCH_JSON`` (also appended to ``$BENCH_RESULTS`` when set: ``make bench`` puts it in
its report).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import common

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
    """A worker process: approve its request ids in calls of ``batch`` ids (one at a time
    when ``batch`` is 0); the time of each call."""
    reviewer_pk, request_ids, batch = args
    configure()
    from django.db import connection

    from custodesk.approvals import services as approvals
    from custodesk.core import clock
    from custodesk.identity.models import User

    connection.close()
    reviewer = User.objects.get(pk=reviewer_pk)
    latencies: list[float] = []
    if not batch:
        for rid in request_ids:
            t0 = time.perf_counter()
            approvals.approve(actor=reviewer, request_id=rid, now=clock.now())
            latencies.append(time.perf_counter() - t0)
        connection.close()
        return latencies
    for start in range(0, len(request_ids), batch):
        t0 = time.perf_counter()
        items = approvals.batch_decide(
            actor=reviewer,
            request_ids=request_ids[start : start + batch],
            decision="approve",
            now=clock.now(),
        )
        latencies.append(time.perf_counter() - t0)
        refused = [i for i in items if not i.ok]
        if refused:
            raise SystemExit(f"refused in the batch: {refused[:3]}")
    connection.close()
    return latencies


def approve_all(ids: dict[str, Any], requests: list[str], workers: int, batch: int):
    """``workers`` processes approve ``requests``; (seconds, sorted call times)."""
    slices = [(ids["reviewers"][w], requests[w::workers], batch) for w in range(workers)]
    started = time.perf_counter()
    with mp.get_context("fork").Pool(workers) as pool:
        results = pool.map(approve_slice, slices)
    return time.perf_counter() - started, sorted(x for r in results for x in r)


def pct(values: list[float], q: float) -> float:
    return round(values[max(0, int(len(values) * q) - 1)] * 1000, 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--singles", type=int, default=1_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=100)
    cfg = parser.parse_args()
    fresh_database()
    configure()
    from django.db import connection

    from custodesk.audit.services import verify_chain
    from custodesk.funds.models import FundMovement
    from custodesk.ledger import services as ledger_services

    ids = seed(cfg.count + cfg.singles, cfg.workers)
    requests, submit_seconds = submit_all(ids, cfg.count + cfg.singles)
    connection.close()
    seconds, calls = approve_all(ids, requests[: cfg.count], cfg.workers, cfg.batch)
    succeeded = FundMovement.objects.filter(direction="withdrawal", status="succeeded").count()
    connection.close()
    single_seconds, singles = approve_all(ids, requests[cfg.count :], cfg.workers, 0)
    total = FundMovement.objects.filter(direction="withdrawal", status="succeeded").count()
    problems = ledger_services.verify()
    chain = list(verify_chain())
    out = {
        "bench": "funds_withdrawals",
        "count": cfg.count,
        "singles": cfg.singles,
        "workers": cfg.workers,
        "batch": cfg.batch,
        "submitted_per_s": round((cfg.count + cfg.singles) / submit_seconds, 1),
        "approved": succeeded,
        "approved_per_s": round(succeeded / seconds, 1),
        "batch_call_p50_ms": pct(calls, 0.5),
        "batch_call_p99_ms": pct(calls, 0.99),
        "single_approved_per_s": round(cfg.singles / single_seconds, 1) if cfg.singles else 0,
        "approval_p50_ms": pct(singles, 0.5) if singles else None,
        "approval_p99_ms": pct(singles, 0.99) if singles else None,
        "ledger_verify": "ok" if not problems else f"{len(problems)} problems",
        "audit_chain": "ok" if not chain else f"{len(chain)} problems",
    }
    common.emit(
        out,
        f"funds withdrawals: {cfg.count + cfg.singles} submitted at {out['submitted_per_s']}/s; "
        f"{succeeded} approved in calls of {cfg.batch} by {cfg.workers} reviewers at "
        f"{out['approved_per_s']}/s (one call p50 {out['batch_call_p50_ms']} ms, "
        f"p99 {out['batch_call_p99_ms']} ms); {cfg.singles} approved one by one at "
        f"{out['single_approved_per_s']}/s, one approval p50 {out['approval_p50_ms']} ms "
        f"p99 {out['approval_p99_ms']} ms; ledger verify {out['ledger_verify']}, "
        f"audit chain {out['audit_chain']}",
    )
    if problems or chain or succeeded != cfg.count or total != cfg.count + cfg.singles:
        sys.exit(1)


if __name__ == "__main__":
    main()
