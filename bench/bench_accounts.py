"""The ledger's account list with a million accounts: GET /api/v1/ledger/accounts.

    python bench/bench_accounts.py --db bench_wp2 --accounts 1000000 --requests 500

Creates the PostgreSQL database ``--db`` when it is missing (``createdb``), migrates it,
creates the benchmark admin user (through the identity service) and brings the number
of benchmark accounts ``BA-0000001`` … up to ``--accounts`` with **bulk SQL**
(``INSERT … SELECT … FROM generate_series``, 100,000 a statement: a million accounts
through ``services.account_open`` would take hours; these skip the audit log, which is
fine for a benchmark database and only there).  Every 25th account is hot (16 shard
rows), so a page holds hot accounts whose balances need their shards.  Then
``VACUUM ANALYZE``.

It starts ``custodesk serve`` (uWSGI, ``--server-workers`` × ``--server-threads``) on
127.0.0.1 at a free port, signs in, and times ``--requests`` sequential GETs over one
keep-alive connection (after ``--warmup`` unmeasured ones) for each case: the first
page (50 accounts, the default), a page in the middle (``after=BA-0500000``) and the
largest page (``limit=1000``).  Latency is the client's wall time per request
(p50/p95/p99/max).  Each case prints one human line and one ``BENCH_JSON`` line.  The
server is stopped at the end.  Never part of the test suite; only ever talks to
127.0.0.1 and to the database it names.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_http
import common

PREFIX = "BA-"
CHUNK = 100_000
HOT_EVERY = 25

_INSERT = f"""
INSERT INTO ledger_account (
    public_id, code, name, kind, currency, owner_type, owner_id, organisation_id,
    debits_must_not_exceed_credits, credits_must_not_exceed_debits, hot, status,
    debits_posted, credits_posted, debits_pending, credits_pending,
    debit_blocks, credit_blocks, frozen_amount, created_at, closed_at)
SELECT gen_random_uuid(), '{PREFIX}' || lpad(g::text, 7, '0'), 'Bench account ' || g,
    'member_sub', 'HKD', 'bench', g::text, NULL,
    mod(g, {HOT_EVERY}) <> 0, false, mod(g, {HOT_EVERY}) = 0, 'open',
    0, 0, 0, 0, 0, 0, 0, now(), NULL
FROM generate_series(%s, %s) AS g
"""
_SHARDS = f"""
INSERT INTO ledger_account_shard (
    account_id, slot, debits_posted, credits_posted, debits_pending, credits_pending)
SELECT a.id, s, 0, 0, 0, 0
FROM ledger_account a CROSS JOIN generate_series(0, 15) AS s
WHERE a.hot AND a.code LIKE '{PREFIX}%%'
  AND NOT EXISTS (SELECT 1 FROM ledger_account_shard x WHERE x.account_id = a.id)
"""


def ensure_database(name: str) -> None:
    host = os.environ.get("BENCH_PG_HOST", "127.0.0.1")
    user = os.environ.get("BENCH_PG_USER", "postgres")
    exists = subprocess.run(
        ["psql", "-h", host, "-U", user, "-d", "postgres", "-tAc",
         f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    if exists != "1":
        subprocess.run(["createdb", "-h", host, "-U", user, name], check=True)
        print(f"created database {name}")


def seed(accounts: int) -> None:
    from django.core.management import call_command
    from django.db import connection, transaction
    from seed import _admin

    call_command("migrate", interactive=False, verbosity=0)
    _admin()
    with connection.cursor() as cur:
        cur.execute(
            "SELECT coalesce(max(substr(code, %s)::int), 0) FROM ledger_account WHERE code LIKE %s",
            [len(PREFIX) + 1, PREFIX + "%"],
        )
        have = cur.fetchone()[0]
    t0 = time.monotonic()
    for start in range(have + 1, accounts + 1, CHUNK):
        end = min(start + CHUNK - 1, accounts)
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(_INSERT, [start, end])
        print(f"  accounts {start:,}–{end:,} ({time.monotonic() - t0:.0f} s)", flush=True)
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(_SHARDS)
    if have < accounts:
        print(f"seeded {accounts - have:,} accounts in {time.monotonic() - t0:.1f} s")
    connection.close()
    with connection.cursor() as cur:  # autocommit: VACUUM cannot run in a transaction
        cur.execute("VACUUM ANALYZE ledger_account")
        cur.execute("VACUUM ANALYZE ledger_account_shard")
        cur.execute("SELECT count(*) FROM ledger_account")
        print(f"{cur.fetchone()[0]:,} accounts in the database")
    connection.close()


def measure(port: int, token: str, path: str, *, requests: int, warmup: int) -> dict[str, Any]:
    conn = http.client.HTTPConnection(bench_http.HOST, port, timeout=60)
    headers = {"Authorization": f"Bearer {token}", "Connection": "keep-alive"}
    latencies: list[float] = []
    items = 0
    try:
        for i in range(warmup + requests):
            t0 = time.perf_counter()
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            elapsed = (time.perf_counter() - t0) * 1000
            if resp.status != 200:
                raise SystemExit(f"GET {path}: HTTP {resp.status} {data[:300]!r}")
            if i >= warmup:
                latencies.append(elapsed)
            items = len(json.loads(data)["items"])
    finally:
        conn.close()
    latencies.sort()
    return {
        "requests": requests,
        "items_per_page": items,
        "p50_ms": round(common.percentile(latencies, 50), 2),
        "p95_ms": round(common.percentile(latencies, 95), 2),
        "p99_ms": round(common.percentile(latencies, 99), 2),
        "max_ms": round(latencies[-1], 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default="bench_wp2", help="benchmark database (created if missing)")
    ap.add_argument("--accounts", type=int, default=1_000_000)
    ap.add_argument("--requests", type=int, default=500, help="measured requests per case")
    ap.add_argument("--warmup", type=int, default=50, help="unmeasured requests per case")
    ap.add_argument("--server-workers", type=int, default=2)
    ap.add_argument("--server-threads", type=int, default=2)
    ap.add_argument("--seed-only", action="store_true")
    args = ap.parse_args()

    host = os.environ.get("BENCH_PG_HOST", "127.0.0.1")
    user = os.environ.get("BENCH_PG_USER", "postgres")
    port_pg = os.environ.get("BENCH_PG_PORT", "5432")
    common.PG_URL = f"postgresql://{user}@{host}:{port_pg}/{args.db}"
    ensure_database(args.db)
    common.configure("postgresql")
    seed(args.accounts)
    if args.seed_only:
        return
    log = common.ROOT / "var" / "bench" / "server-accounts.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    port = bench_http.free_port(8790)
    proc = bench_http.start_server(port, args.server_workers, args.server_threads, log)
    try:
        token = bench_http.sign_in(port)
        cases = {
            "first page": "/api/v1/ledger/accounts",
            "middle page": f"/api/v1/ledger/accounts?after={PREFIX}0500000",
            "first page, limit=1000": "/api/v1/ledger/accounts?limit=1000",
        }
        for name, path in cases.items():
            quiet = common.quiet_check()
            r = measure(port, token, path, requests=args.requests, warmup=args.warmup)
            result = {
                "bench": "accounts",
                "case": name,
                "path": path,
                "accounts": args.accounts,
                "server": f"uWSGI {args.server_workers} processes x {args.server_threads} threads",
                **r,
                **quiet,
            }
            common.emit(
                result,
                f"accounts  {name:<24} {r['items_per_page']:>4} items  p50={r['p50_ms']:.2f} ms"
                f"  p95={r['p95_ms']:.2f} ms  p99={r['p99_ms']:.2f} ms  max={r['max_ms']:.2f} ms"
                f"  (machine busy before: {quiet['busy_before']:.0%}, "
                f"load {quiet['loadavg_1m']})",
            )
    finally:
        bench_http.stop_server(proc)


if __name__ == "__main__":
    main()
