"""The broker account list at a million accounts (ACC-LIST benchmark of issue 13).

    python bench/brokerage_list.py --db bench_brokerage --accounts 1000000 --requests 200

1. Creates the PostgreSQL database ``--db`` when missing, migrates it, creates the
   benchmark admin (through the identity service) and tops the book up to
   ``--accounts`` accounts with bulk SQL (bench/brokerage_seed.py: **these rows bypass
   the services** — no audit rows, ledger accounts or approvals for them).
2. Prints ``EXPLAIN (ANALYZE, BUFFERS)`` of the list query for every case (the SQL the
   selector really runs, from ``selectors.list.account_page``), so index use is on record.
3. Starts ``custodesk serve`` (uWSGI) on 127.0.0.1 at a free port, signs in, and for each
   case times ``--requests`` sequential GETs of one list page (50 rows, with the capped
   total) over one keep-alive connection after ``--warmup`` unmeasured ones: no filter,
   each single filter, three combinations; then the account detail
   (``GET /api/v1/brokerage/accounts/{number}``) over rotating accounts.  p50/p95/p99/max
   of the client's wall time.
4. Downloads the CSV export of every account (``/accounts/export?format=csv``) and
   reports rows/s, and the peak RSS of the uWSGI worker that served it (VmHWM from
   /proc, read right after) beside its RSS before — constant memory means the peak does
   not grow with the row count.

Each case prints one human line and one ``BENCH_JSON`` line (appended to
``$BENCH_RESULTS`` when set).  Never part of the test suite; talks only to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_accounts
import bench_http
import brokerage_seed
import common

API = "/api/v1/brokerage"

# name -> query parameters of the list page
CASES: dict[str, dict[str, str]] = {
    "no filter": {},
    "number prefix": {"number": "00042"},
    "name (English, full)": {"name": "Chan Tai Man"},
    "name (English, surname)": {"name": "Cheung"},
    "name (Chinese, 3 chars)": {"name": "陳大文"},
    "name (Chinese, 2 chars)": {"name": "大文"},
    "id number": {"id_number": "P00123457"},
    "phone": {"phone": "+85250123457"},
    "status closed": {"status": "closed"},
    "client status frozen": {"client_status": "frozen"},
    "frozen": {"frozen": "true"},
    "type margin": {"type": "margin"},
    "flag (0.1 %)": {"flag": "BENCH_STAFF"},
    "flag (5 %)": {"flag": "BENCH_ESOP"},
    "opened range (1 month)": {"opened_from": "2020-03-01", "opened_to": "2020-03-31"},
    "sort opened desc": {"sort": "-opened_on"},
    "combo: name + status + type": {"name": "Wong", "status": "active", "type": "margin"},
    "combo: flag + opened + status": {
        "flag": "BENCH_ESOP",
        "opened_from": "2018-01-01",
        "opened_to": "2019-12-31",
        "status": "active",
    },
    "combo: 中文名 + frozen + type": {"name": "陳", "frozen": "false", "type": "cash"},
}


def explain(cases: dict[str, dict[str, str]]) -> None:
    """EXPLAIN ANALYZE of the page query each case runs (the selector's own SQL)."""
    from django.db import connection

    from custodesk.brokerage.selectors import list as account_list
    from custodesk.identity.models import User

    admin = User.objects.get(username__iexact=common.ADMIN_USERNAME)
    for name, params in cases.items():
        qs = account_list.page_queryset(actor=admin, params=params)
        sql, sql_params = qs.query.sql_with_params()
        with connection.cursor() as cur:
            cur.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, sql_params)
            plan = [r[0] for r in cur.fetchall()]
        indexes = sorted(
            {
                w.strip('"')
                for line in plan
                for w in line.split()
                if "_" in w and ("idx" in w or "brokerage_" in w) and "Scan" not in w
            }
        )
        print(f"-- EXPLAIN {name}: {json.dumps(params, ensure_ascii=False)}")
        for line in plan:
            print("   " + line)
        common.emit(
            {"bench": "brokerage_list_explain", "case": name, "plan": plan, "indexes": indexes},
            f"   (indexes named in the plan: {', '.join(indexes) or 'none'})",
        )
    connection.close()


def get(conn: http.client.HTTPConnection, path: str, token: str) -> tuple[int, bytes]:
    conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
    resp = conn.getresponse()
    return resp.status, resp.read()


def time_paths(port: int, token: str, paths: list[str], *, warmup: int) -> dict[str, Any]:
    conn = http.client.HTTPConnection(bench_http.HOST, port, timeout=120)
    lat: list[float] = []
    rows = total = None
    try:
        for i, path in enumerate(paths):
            t0 = time.perf_counter()
            status, data = get(conn, path, token)
            ms = (time.perf_counter() - t0) * 1000
            if status != 200:
                raise SystemExit(f"GET {path}: HTTP {status} {data[:300]!r}")
            if i >= warmup:
                lat.append(ms)
            if rows is None:
                body = json.loads(data)
                rows = len(body.get("items", [])) if isinstance(body, dict) else None
                total = body.get("total") if isinstance(body, dict) else None
    finally:
        conn.close()
    lat.sort()
    return {
        "requests": len(lat),
        "rows": rows,
        "total": total,
        "p50_ms": round(common.percentile(lat, 50), 2),
        "p95_ms": round(common.percentile(lat, 95), 2),
        "p99_ms": round(common.percentile(lat, 99), 2),
        "max_ms": round(lat[-1], 2),
    }


def _status_kib(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def _cpu(pid: int) -> float:
    try:
        f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def _workers(server_pid: int) -> list[int]:
    """The server this script started and every process under it (uWSGI workers)."""
    parents: dict[int, int] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                parents[int(d.name)] = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
    tree = {server_pid}
    grew = True
    while grew:
        new = {pid for pid, ppid in parents.items() if ppid in tree} - tree
        tree |= new
        grew = bool(new)
    return sorted(tree)


def export(port: int, token: str, server_pid: int, accounts: int) -> None:
    pids = _workers(server_pid) or [server_pid]
    before = {p: (_status_kib(p, "VmRSS"), _status_kib(p, "VmHWM")) for p in pids}
    cpu_before = {p: _cpu(p) for p in pids}
    conn = http.client.HTTPConnection(bench_http.HOST, port, timeout=600)
    t0 = time.perf_counter()
    conn.request(
        "GET", f"{API}/export/accounts?format=csv", headers={"Authorization": f"Bearer {token}"}
    )
    resp = conn.getresponse()
    if resp.status != 200:
        raise SystemExit(f"export: HTTP {resp.status} {resp.read()[:300]!r}")
    lines = size = 0
    while chunk := resp.read(1 << 20):
        lines += chunk.count(b"\n")
        size += len(chunk)
    seconds = time.perf_counter() - t0
    conn.close()
    after = {p: (_status_kib(p, "VmRSS"), _status_kib(p, "VmHWM")) for p in pids}
    # the worker that served it: the one that used most CPU during the download
    pid = max(pids, key=lambda p: _cpu(p) - cpu_before.get(p, 0.0))
    rows = lines - 1
    result = {
        "bench": "brokerage_list_export",
        "accounts": accounts,
        "rows": rows,
        "bytes": size,
        "seconds": round(seconds, 2),
        "rows_per_s": round(rows / seconds),
        "worker_rss_before_kib": before[pid][0],
        "worker_peak_rss_before_kib": before[pid][1],
        "worker_peak_rss_after_kib": after[pid][1],
        "worker_rss_after_kib": after[pid][0],
        "server_processes": {str(p): after[p] for p in pids},
    }
    common.emit(
        result,
        f"export CSV  {rows:,} rows, {size / 1e6:.0f} MB in {seconds:.1f} s = "
        f"{result['rows_per_s']:,} rows/s; worker RSS before {before[pid][0] / 1024:.0f} MiB, "
        f"peak before {before[pid][1] / 1024:.0f} MiB, peak after {after[pid][1] / 1024:.0f} MiB",
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default="bench_brokerage")
    ap.add_argument("--accounts", type=int, default=1_000_000)
    ap.add_argument("--requests", type=int, default=200, help="measured requests per case")
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--server-workers", type=int, default=2)
    ap.add_argument("--server-threads", type=int, default=2)
    ap.add_argument("--seed-only", action="store_true")
    ap.add_argument("--skip-export", action="store_true")
    ap.add_argument("--only", default="", help="comma-separated case names (default: all)")
    args = ap.parse_args()

    host = os.environ.get("BENCH_PG_HOST", "127.0.0.1")
    user = os.environ.get("BENCH_PG_USER", "postgres")
    port_pg = os.environ.get("BENCH_PG_PORT", "5432")
    common.PG_URL = f"postgresql://{user}@{host}:{port_pg}/{args.db}"
    os.environ["BENCH_PG_URL"] = common.PG_URL
    bench_accounts.ensure_database(args.db)
    common.configure("postgresql")
    from django.core.management import call_command
    from seed import _admin

    call_command("migrate", interactive=False, verbosity=0)
    _admin()
    brokerage_seed.seed(args.accounts)
    if args.seed_only:
        return
    cases = CASES
    if args.only:
        wanted = {c.strip() for c in args.only.split(",")}
        cases = {k: v for k, v in CASES.items() if k in wanted}
    explain(cases)

    log = common.ROOT / "var" / "bench" / "server-brokerage.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    port = bench_http.free_port(8890)
    proc = bench_http.start_server(port, args.server_workers, args.server_threads, log)
    try:
        token = bench_http.sign_in(port)
        for name, params in cases.items():
            path = f"{API}/accounts?" + urlencode(params) if params else f"{API}/accounts"
            quiet = common.quiet_check()
            r = time_paths(port, token, [path] * (args.warmup + args.requests), warmup=args.warmup)
            common.emit(
                {"bench": "brokerage_list", "case": name, "path": path, **r, **quiet},
                f"list  {name:<30} rows={r['rows']!s:>3} total={r['total']!s:>6}  "
                f"p50={r['p50_ms']:.1f} ms  p95={r['p95_ms']:.1f} ms  p99={r['p99_ms']:.1f} ms"
                f"  max={r['max_ms']:.1f} ms  (busy before {quiet['busy_before']:.0%})",
            )
        numbers = [
            f"{(i * 7919) % args.accounts + 1:09d}" for i in range(args.warmup + args.requests)
        ]
        paths = [f"{API}/accounts/{n}" for n in numbers]
        try:
            r = time_paths(port, token, paths, warmup=args.warmup)
            common.emit(
                {"bench": "brokerage_detail", **r},
                f"detail  GET /accounts/{{number}}  p50={r['p50_ms']:.1f} ms  "
                f"p95={r['p95_ms']:.1f} ms  p99={r['p99_ms']:.1f} ms  max={r['max_ms']:.1f} ms",
            )
        except SystemExit as exc:
            print(f"detail: not measured ({exc})")
        if not args.skip_export:
            export(port, token, proc.pid, args.accounts)
    finally:
        bench_http.stop_server(proc)


if __name__ == "__main__":
    main()
