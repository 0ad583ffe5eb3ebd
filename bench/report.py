"""Summarise one run's JSON lines as Markdown: machine, tables, ratios against the targets.

python bench/report.py var/bench/results-<stamp>.jsonl > var/bench/report-<stamp>.md
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _psql(sql: str) -> str:
    host = os.environ.get("BENCH_PG_HOST", "127.0.0.1")
    port = os.environ.get("BENCH_PG_PORT", "5432")
    user = os.environ.get("BENCH_PG_USER", "postgres")
    try:
        out = subprocess.run(
            ["psql", "-h", host, "-p", port, "-U", user, "-d", "postgres", "-XAtc", sql],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "?"


def machine() -> dict[str, str]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return {
        "date": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "nproc": str(os.cpu_count()),
        "memory": mem,
        "cpu": cpu,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postgresql": _psql("SHOW server_version"),
        "synchronous_commit": _psql("SHOW synchronous_commit"),
        "fsync": _psql("SHOW fsync"),
        "wal_sync_method": _psql("SHOW wal_sync_method"),
        "shared_buffers": _psql("SHOW shared_buffers"),
        "code at the end (sha256/12)": code_digest(),
    }


def code_digest() -> str:
    return ", ".join(
        f"{name} {_digest(ROOT / 'src/custodesk/ledger' / name)}"
        for name in ("engine", "services.py", "api.py")
    )


def _digest(path: Path) -> str:
    """sha256/12 of a file, or of a package's .py and .sql files (by relative path)."""
    try:
        if path.is_dir():
            h = hashlib.sha256()
            for f in sorted(p for p in path.rglob("*") if p.suffix in (".py", ".sql")):
                h.update(str(f.relative_to(path)).encode() + b"\0" + f.read_bytes())
            return h.hexdigest()[:12]
        return hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    except OSError:
        return "-"


def load(path: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


def _get(rows: list[dict[str, Any]], bench: str, workers: int) -> dict[str, Any] | None:
    for r in reversed(rows):
        if r.get("bench") == bench and r.get("workers") == workers:
            return r
    return None


def _num(r: dict[str, Any] | None, key: str = "transfers_per_s") -> float | None:
    if r is None or r.get("status") != "ok":
        return None
    v = r.get(key)
    return float(v) if isinstance(v, int | float) else None


def table(rows: list[dict[str, Any]], bench: str, title: str, base: bool = True) -> list[str]:
    latest = {r["workers"]: r for r in rows if r.get("bench") == bench}  # last run wins
    mine = list(latest.values())
    if not mine:
        return []
    out = [f"### {title}", ""]
    head = (
        "| workers | transfers/s | p50 ms | p99 ms | refused | errors | other work | steal "
        "| Python speed ms |"
    )
    sep = "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    if base and bench != "pgbench_tpcb":
        head += " vs pgbench (same clients) |"
        sep += "---:|"
    out += [head, sep]
    for r in sorted(mine, key=lambda r: r["workers"]):
        n = r["workers"]
        busy = r.get("other_load", r.get("busy_before"))
        busy_s = f"{busy:.0%}" if isinstance(busy, int | float) else "?"
        steal = r.get("steal")
        busy_s += f" | {steal:.0%}" if isinstance(steal, int | float) else " | ?"
        busy_s += f" | {r.get('python_speed_ms', '?')}"
        if r.get("status") != "ok":
            line = f"| {n} | {r.get('status')} | | | | | {busy_s} |"
            if base and bench != "pgbench_tpcb":
                line += " |"
            out.append(line)
            continue
        line = (
            f"| {n} | {r['transfers_per_s']:.1f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | "
            f"{r.get('refusal_rate', 0):.2%} | {r.get('errors', 0)} | {busy_s} |"
        )
        if base and bench != "pgbench_tpcb":
            pg = _num(_get(rows, "pgbench_tpcb", n))
            line += f" {r['transfers_per_s'] / pg:.1%} |" if pg else " – |"
        out.append(line)
    return [*out, ""]


def ratio_line(name: str, value: float | None, target: float, unit: str = "%") -> str:
    if value is None:
        return f"| {name} | n/a | {'≥ ' + _fmt(target, unit)} | not measured |"
    met = value >= target
    gap = "met" if met else f"missed by {_fmt(target - value, unit)} (×{target / value:.1f} short)"
    return f"| {name} | {_fmt(value, unit)} | ≥ {_fmt(target, unit)} | {gap} |"


def _fmt(v: float, unit: str) -> str:
    return f"{v:.1%}" if unit == "%" else f"{v:.2f}×"


def seal_lines(rows: list[dict[str, Any]]) -> None:
    """The hash chain: booking beside a sealer, and how fast a seal chains."""
    for n in (1, 4, 8, 16):
        w = _get(rows, "seal_booking_with_sealer", n)
        wo = _num(_get(rows, "seal_booking_without", n))
        if w is None or _num(w) is None or not wo:
            continue
        sealer = w.get("sealer", {})
        print(
            f"\n**Sealing beside booking @{n}**: {_num(w) / wo:.1%} of the throughput without"
            f" a sealer; the sealer (every {w.get('seal_every_s')} s, 60× the schedule) made"
            f" {sealer.get('seals')} seals chaining {sealer.get('chained')} transfers, the"
            f" longest {sealer.get('longest_ms', 0):.0f} ms, {sealer.get('deferred')} deferred."
        )
    rate = next((r for r in reversed(rows) if r.get("bench") == "seal_rate"), None)
    if rate:
        print(
            f"\n**Seal rate**: {rate['transfers_per_s']:,.0f} transfers chained/s"
            f" ({rate['chained_now']} in {rate['seal_calls']} call(s), {rate['seal_wall_s']} s,"
            f" Python CPU {rate['seal_python_cpu_s']} s); `ledger verify` over"
            f" {rate['transfers_in_ledger']:,} transfers and {rate['seals']} seals:"
            f" {rate['verify_s']} s ({rate['verify_transfers_per_s']:,.0f} transfers/s),"
            f" {rate['verify_violations']} violation(s).\n"
        )


def main() -> None:
    if sys.argv[1:] == ["--meta"]:  # run.sh records the code measured when the run starts
        started = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        print(json.dumps({"bench": "meta", "started": started, "code": code_digest()}))
        return
    path = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("BENCH_RESULTS", "")
    rows = load(path)
    m = machine()
    meta = next((r for r in rows if r.get("bench") == "meta"), None)
    if meta is not None:
        m = {"started": meta["started"], **m, "code at the start (sha256/12)": meta["code"]}
        if meta["code"] != m["code at the end (sha256/12)"]:
            m["warning"] = "the ledger code changed during the run (parallel work in the tree)"
    print(f"# Benchmark run {m.get('started', m['date'])}\n")
    print("| | |\n|---|---|")
    for k, v in m.items():
        print(f"| {k} | {v} |")
    print()
    for bench, title in (
        ("pgbench_tpcb", "pgbench TPC-B-like (the database's own limit)"),
        ("service_single", "Service layer, single transfers, random pairs (book_one)"),
        ("service_single_warm", "Same, hot-flag cache pre-filled (long-lived process)"),
        (
            "service_single_warm_whatif_noreload",
            "WHAT-IF (experiment, not the product): same, without the re-read of the transfer",
        ),
        ("service_hot", "Hot account: every transfer debits one summary account"),
        ("service_batch", "Batch: services.book with 8,190 transfers per call"),
        ("http_single", "HTTP API: POST /api/v1/ledger/transfers (uWSGI)"),
        ("pgbench_tpcb_before_http", "pgbench TPC-B-like, run just before each HTTP point"),
        ("service_single_sqlite", "SQLite (embedded, WAL), single transfers"),
        ("seal_booking_with_sealer", "Single transfers while a sealer chains every second"),
        ("seal_booking_without", "Single transfers, no sealer (measured right after)"),
    ):
        base = not bench.endswith("sqlite") and not bench.startswith("pgbench")
        for line in table(rows, bench, title, base=base):
            print(line)
    pg8 = _num(_get(rows, "pgbench_tpcb", 8))
    single8 = _num(_get(rows, "service_single", 8))
    http8 = _num(_get(rows, "http_single", 8))
    batch = [_num(_get(rows, "service_batch", n)) for n in (1, 4)]
    best_batch = max([b for b in batch if b is not None], default=None)
    pg_best = max(
        [v for n in (1, 4, 8, 16) if (v := _num(_get(rows, "pgbench_tpcb", n))) is not None],
        default=None,
    )
    print("### Ratios against the targets\n")
    print("| ratio | measured | target | verdict |\n|---|---:|---:|---|")
    r = single8 / pg8 if single8 and pg8 else None
    print(ratio_line("service single @8 / pgbench @8", r, 0.60))
    for n in (1, 4):
        b, p = _num(_get(rows, "service_batch", n)), _num(_get(rows, "pgbench_tpcb", n))
        print(ratio_line(f"batch @{n} / pgbench @{n}", b / p if b and p else None, 5.0, "x"))
    print(
        ratio_line(
            "batch (best of 1, 4) / pgbench (best of 1–16)",
            best_batch / pg_best if best_batch and pg_best else None,
            5.0,
            unit="x",
        )
    )
    for n in (1, 4, 8, 16):
        hot = _num(_get(rows, "service_hot", n))
        rnd = _num(_get(rows, "service_single", n))
        print(ratio_line(f"hot / random pairs @{n}", hot / rnd if hot and rnd else None, 0.50))
    h = _get(rows, "http_single", 8)
    if h is not None and h.get("status") == "endpoint_not_available":
        print("| HTTP single @8 / pgbench @8 | HTTP: endpoint not available yet | ≥ 30% | – |")
    else:
        r = http8 / pg8 if http8 and pg8 else None
        print(ratio_line("HTTP single @8 / pgbench @8", r, 0.30))
        adjacent = _num(_get(rows, "pgbench_tpcb_before_http", 8))
        r = http8 / adjacent if http8 and adjacent else None
        print(ratio_line("HTTP single @8 / pgbench @8 run just before it", r, 0.30))
    seal_lines(rows)
    prof = next(
        (r for r in reversed(rows) if r.get("bench") == "profile_single" and "round_trips" in r),
        None,
    )
    if prof:
        print("\n### Profile of the single-transfer path (8 workers)\n")
        print(
            f"{prof['round_trips']} SQL round trips per transfer; per transfer: wall "
            f"{prof['wall_ms']} ms, worker CPU {prof['worker_cpu_ms']} ms, PostgreSQL backend "
            f"CPU {prof['pg_backend_cpu_ms']} ms.\n"
        )
        print(
            "| statement | per transfer | ms in cursor.execute @8 |"
            " PostgreSQL planning ms | execution ms |\n|---|---:|---:|---:|---:|"
        )
        explain = prof.get("explain", {})

        def _order(k: str) -> int:
            for i, word in enumerate(("BEGIN", "SELECT id, hot", "SELECT …", "INSERT", "UPDATE")):
                if k.startswith(word):
                    return i
            return 6 if k.startswith("COMMIT") else 5

        for k, v in sorted(prof["statements"].items(), key=lambda kv: _order(kv[0])):
            t = prof["statement_ms"].get(k)
            e = explain.get(k, {})
            print(
                f"| {k} | {v:.2f} | {'' if t is None else f'{t:.2f}'} |"
                f" {e.get('planning_ms', '')} | {e.get('execution_ms', '')} |"
            )
        print(
            "\n| phase | wall ms | of which SQL round trip | Python (wall) | worker CPU ms |"
            "\n|---|---:|---:|---:|---:|"
        )
        order = ["hot_flags", "hot_set", "one_round_trip", "idempotency", "lock", "insert"]
        order += ["update", "result"]
        order += ["load", "commit", "rest"]
        for k, v in sorted(prof["phases"].items(), key=lambda kv: order.index(kv[0])):
            print(
                f"| {k} | {v['ms']:.2f} | {v.get('sql_ms', '')} | {v.get('python_ms', '')} |"
                f" {v.get('cpu_ms', '')} |"
            )
        if "cprofile_python_share" in prof:
            print(
                "\n| layer (cProfile, worker 0; stdlib time counted in its caller's layer)"
                " | share of Python time | ≈ ms CPU |"
            )
            print("|---|---:|---:|")
            for k, v in sorted(prof["cprofile_python_share"].items(), key=lambda kv: -kv[1]):
                print(f"| {k} | {v:.1%} | {v * prof['worker_cpu_ms']:.2f} |")
        spy = prof.get("py_spy")
        if spy and spy.get("status") == "ok":
            print("\n| engine step (py-spy, inclusive, on-CPU) | share | ≈ ms CPU |")
            print("|---|---:|---:|")
            for k, v in sorted(spy["inclusive_share"].items(), key=lambda kv: -kv[1]):
                print(f"| {k} | {v:.1%} | {v * prof['worker_cpu_ms']:.2f} |")

    fw = next((r for r in reversed(rows) if r.get("bench") == "funds_withdrawals"), None)
    if fw:
        print("\n### Custody withdrawals through the approval engine (issue 14)\n")
        print(
            f"{fw['count']} approved in bulk ({fw['batch']} a call, {fw['workers']} reviewers):"
            f" **{fw['approved_per_s']} approved/s** (goal ≥ 500), one call p50"
            f" {fw['batch_call_p50_ms']} ms, p99 {fw['batch_call_p99_ms']} ms;"
            f" {fw['singles']} one by one: one approval p50 {fw['approval_p50_ms']} ms,"
            f" **p99 {fw['approval_p99_ms']} ms** (goal ≤ 50); ledger verify"
            f" {fw['ledger_verify']}, audit chain {fw['audit_chain']}."
        )

    ph = next((r for r in reversed(rows) if r.get("bench") == "profile_http"), None)
    if ph and ph.get("status") == "ok":
        print("\n### Profile of one HTTP transfer request (in-process WSGI handler)\n")
        print(
            f"{ph['cpu_ms_per_request']} ms CPU and {ph['wall_ms_per_request']} ms wall per"
            f" request; {len(ph['statements'])} SQL statements per request:"
            f" {'; '.join(ph['statements'])}.\n"
        )
        print("| step (inclusive, waits included) | share | ≈ ms |\n|---|---:|---:|")
        for k, v in sorted(ph["step_share"].items(), key=lambda kv: -kv[1]):
            print(f"| {k.strip()} | {v:.1%} | {v * ph['wall_ms_per_request']:.2f} |")


if __name__ == "__main__":
    main()
