"""Shared helpers for the ledger benchmarks: Django set-up, process pools, statistics.

Every benchmark point runs N worker *processes* (forked from a parent that has
set Django up but holds no database connection; ``BENCH_MP_START=spawn`` for a
clean interpreter each).  Each worker calls ``django.setup()``, closes any
connection it may have inherited and opens its own, then waits on a barrier.
All workers share one start time: a warm-up (not measured) and a measured
window follow.  A worker keeps starting operations until the window ends and is
bounded by ``max_ops`` too, so no loop is unbounded in time or count.

Throughput attributes every operation to the window in proportion to the part
of it that falls inside (exact for short operations, and no edge bias for the
8,190-transfer batch calls that take a second or more).  Latencies are those of
the operations that ended inside the window.

Each point prints one human line and one machine-readable line
``BENCH_JSON {...}``; the JSON is also appended to ``$BENCH_RESULTS`` if set.
"""

from __future__ import annotations

import contextlib
import json
import math
import multiprocessing as mp
import os
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/bench_db")
SQLITE_DIR = os.environ.get("BENCH_SQLITE_DIR", str(ROOT / "var" / "bench-sqlite"))
MEMBER_PREFIX = "BM-"
MEMBERS = int(os.environ.get("BENCH_ACCOUNTS", "10000"))
FUNDING_CODE = "BENCH-FUNDING"
SUMMARY_CODE = "BENCH-SUMMARY"
ADMIN_USERNAME = "benchadmin"
# a throw-away user of the benchmark database ("Bench-Admin-2026" is refused by the
# password validators: too similar to the user name)
ADMIN_PASSWORD = "Perf-Ledger-2026"
MAX_OPS_PER_WORKER = 2_000_000


def configure(backend: str) -> None:
    """Point Django at the benchmark database and set it up (call once per process)."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "custodesk.config.settings"
    os.environ.setdefault("CUSTODESK_SECRET_KEY", "bench")
    os.environ.setdefault("CUSTODESK_LOG_LEVEL", "WARNING")
    if backend == "postgresql":
        os.environ["CUSTODESK_DATABASE_URL"] = PG_URL
    elif backend == "sqlite":
        os.environ.pop("CUSTODESK_DATABASE_URL", None)
        os.environ["CUSTODESK_VAR_DIR"] = SQLITE_DIR
        Path(SQLITE_DIR).mkdir(parents=True, exist_ok=True)
    else:
        raise SystemExit(f"unknown backend {backend!r}")
    import django

    django.setup()
    from django.db import connections

    connections.close_all()  # never share an inherited connection; the first query opens ours


def member_ids() -> list[int]:
    from custodesk.ledger.models import LedgerAccount

    ids = list(
        LedgerAccount.objects.filter(code__startswith=MEMBER_PREFIX)
        .order_by("id")
        .values_list("id", flat=True)
    )
    if len(ids) < MEMBERS:
        raise SystemExit(f"only {len(ids)} member accounts: run bench/seed.py first")
    return ids


def account_id(code: str) -> int:
    from custodesk.ledger.models import LedgerAccount

    return LedgerAccount.objects.only("id").get(code=code).pk


# -- the machine's other load ----------------------------------------------------------
def _cpu_times() -> tuple[int, int]:
    """(total, not working for this VM's processes) in clock ticks: idle, iowait and the
    hypervisor's steal (time another VM had our CPU) are not work done here."""
    with Path("/proc/stat").open() as fh:
        parts = [int(x) for x in fh.readline().split()[1:]]
    idle = parts[3] + (parts[4] if len(parts) > 4 else 0) + (parts[7] if len(parts) > 7 else 0)
    return sum(parts[:8]), idle


def cpu_busy(seconds: float = 1.0) -> float:
    """Fraction of all CPUs busy over ``seconds`` (nothing of ours runs meanwhile)."""
    try:
        t0, i0 = _cpu_times()
        time.sleep(seconds)
        t1, i1 = _cpu_times()
    except OSError:
        return float("nan")
    return round(1 - (i1 - i0) / max(1, t1 - t0), 3)


def quiet_check() -> dict[str, float]:
    """Before a point: wait (bounded, ``BENCH_QUIET_WAIT`` s, default 5) for other work on
    the machine to drop below 30 % CPU, and record how busy it was."""
    limit = time.monotonic() + float(os.environ.get("BENCH_QUIET_WAIT", "5"))
    busy = cpu_busy()
    while busy > 0.30 and time.monotonic() < limit:
        busy = cpu_busy()
    return {
        "busy_before": busy,
        "loadavg_1m": round(os.getloadavg()[0], 2),
        "python_speed_ms": python_speed_ms(),
    }


def python_speed_ms() -> float:
    """How fast this machine runs Python right now: CPU ms for 1,000,000 additions in a
    loop (best of 3).  Shared or burstable virtual machines change speed from minute to
    minute (seen here: 43 to 150 ms), which moves Python-bound points against pgbench."""
    best = float("inf")
    for _ in range(3):
        c0 = time.thread_time()
        total = 0
        for i in range(1_000_000):
            total += i
        best = min(best, time.thread_time() - c0)
    return round(best * 1000, 1)


OUR_DATABASES = (
    PG_URL.rsplit("/", 1)[-1],
    os.environ.get("BENCH_PGBENCH_DB", "pgbench_db"),
)


def _processes() -> dict[int, tuple[int, float, str]]:
    """pid → (ppid, CPU seconds so far, command line) for every process we can read."""
    out: dict[int, tuple[int, float, str]] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            f = (d / "stat").read_text().rsplit(")", 1)[1].split()
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        out[int(d.name)] = (int(f[1]), (int(f[11]) + int(f[12])) / tick, cmd)
    return out


def _ours_cpu(procs: dict[int, tuple[int, float, str]], root: int) -> float:
    """CPU of this script's process tree, of the PostgreSQL backends serving the benchmark
    databases, and of PostgreSQL's own background processes (WAL writer, checkpointer…)."""
    ours = {root}
    changed = True
    while changed:
        changed = False
        for pid, (ppid, _c, _cmd) in procs.items():
            if ppid in ours and pid not in ours:
                ours.add(pid)
                changed = True
    total = 0.0
    for pid, (_ppid, cpu, cmd) in procs.items():
        if pid in ours:
            total += cpu
        elif cmd.startswith("postgres:"):
            backend = "(" in cmd or "[local]" in cmd
            if not backend or any(f" {db} " in cmd for db in OUR_DATABASES):
                total += cpu
    return total


def machine_sample() -> tuple[float, float, float, float]:
    """(monotonic time, CPU seconds used machine-wide, by us, stolen by the hypervisor)."""
    try:
        with Path("/proc/stat").open() as fh:
            parts = [int(x) for x in fh.readline().split()[1:]]
        tick = os.sysconf("SC_CLK_TCK")
        total, idle = _cpu_times()
        busy = (total - idle) / tick
        steal = (parts[7] if len(parts) > 7 else 0) / tick
        ours = _ours_cpu(_processes(), os.getpid())
    except OSError:
        return time.monotonic(), float("nan"), float("nan"), float("nan")
    return time.monotonic(), busy, ours, steal


def steal_share(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """Share of the CPUs the hypervisor gave to other VMs between two samples (0..1)."""
    span = (b[0] - a[0]) * (os.cpu_count() or 1)
    return round(max(0.0, (b[3] - a[3]) / span), 3) if span > 0 else float("nan")


def other_load(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """Share of the machine's CPU used by *other* work between two samples (0..1)."""
    span = (b[0] - a[0]) * (os.cpu_count() or 1)
    if span <= 0:
        return float("nan")
    return round(max(0.0, ((b[1] - a[1]) - (b[2] - a[2])) / span), 3)


def vacuum_ledger() -> None:
    """VACUUM ANALYZE the ledger tables and CHECKPOINT before a PostgreSQL point (the
    server runs with autovacuum off; pgbench's tables get the same treatment)."""
    db = PG_URL.rsplit("/", 1)[-1]
    host = os.environ.get("BENCH_PG_HOST", "127.0.0.1")
    port = os.environ.get("BENCH_PG_PORT", "5432")
    user = os.environ.get("BENCH_PG_USER", "postgres")
    cmd = ["psql", "-h", host, "-p", port, "-U", user, "-d", db, "-XAtq"]
    for t in ("ledger_account", "ledger_account_shard", "ledger_transfer"):
        cmd += ["-c", f"VACUUM ANALYZE {t}"]
    # and start every point without a checkpoint pending from the previous one's WAL
    cmd += ["-c", "CHECKPOINT"]
    subprocess.run(cmd, check=False, capture_output=True, timeout=300)


# -- statistics ------------------------------------------------------------------------
def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list (q in 0..100)."""
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, math.ceil(q / 100 * len(sorted_values)) - 1))
    return sorted_values[k]


def emit(result: dict[str, Any], human: str) -> None:
    print(human, flush=True)
    line = json.dumps(result, sort_keys=True)
    print("BENCH_JSON " + line, flush=True)
    path = os.environ.get("BENCH_RESULTS")
    if path:
        with Path(path).open("a") as fh:
            fh.write(line + "\n")


def fmt(result: dict[str, Any]) -> str:
    if result.get("status") != "ok":
        return f"{result['bench']:<14} workers={result.get('workers')}: {result.get('status')}"
    return (
        f"{result['bench']:<14} {result['backend']:<10} workers={result['workers']:>2}  "
        f"{result['transfers_per_s']:>9.1f} transfers/s  p50={result['p50_ms']:.2f} ms  "
        f"p99={result['p99_ms']:.2f} ms  refused={result['refusal_rate']:.2%}  "
        f"errors={result['errors']}  (other work: {result.get('other_load', 0):.0%} CPU, "
        f"steal {result.get('steal', 0):.0%}; Python speed {result.get('python_speed_ms', '?')} ms)"
    )


# -- the process pool --------------------------------------------------------------------
# A worker factory runs in the child: it sets Django up and returns ``op``, a callable
# doing one operation and returning (transfers booked, transfers refused).
Factory = Callable[[int, dict[str, Any]], Callable[[], tuple[int, int]]]


def _worker_main(
    factory: Factory,
    index: int,
    cfg: dict[str, Any],
    barrier: Any,
    start_at: Any,
    queue: Any,
    release: Any,
) -> None:
    records: list[tuple[float, float, int, int]] = []
    errors = 0
    error_sample: list[str] = []
    try:
        op = factory(index, cfg)
    except BaseException:
        queue.put({"index": index, "fatal": traceback.format_exc()})
        barrier.abort()
        return
    try:
        barrier.wait(timeout=300)
    except Exception:
        queue.put({"index": index, "fatal": "barrier broken (another worker failed)"})
        return
    give_up = time.monotonic() + 60
    while start_at.value == 0.0:  # the parent sets the common start right after the barrier
        if time.monotonic() > give_up:
            queue.put({"index": index, "fatal": "no start time from the parent within 60 s"})
            return
        time.sleep(0.001)
    t0 = start_at.value
    w_start = t0 + cfg["warmup"]
    w_end = w_start + cfg["duration"]
    while time.monotonic() < t0:
        time.sleep(0.001)
    for _ in range(cfg.get("max_ops", MAX_OPS_PER_WORKER)):
        s = time.monotonic()
        if s >= w_end:
            break
        try:
            booked, refused = op()
        except Exception as exc:
            booked, refused = 0, 0
            errors += 1
            if len(error_sample) < 3:
                error_sample.append(f"{type(exc).__name__}: {exc}"[:300])
            time.sleep(0.001)
        e = time.monotonic()
        if e > w_start:
            records.append((s, e, booked, refused))
    collect = getattr(op, "collect", None)
    queue.put(
        {
            "index": index,
            "records": records,
            "errors": errors,
            "error_sample": error_sample,
            "extra": collect() if callable(collect) else None,
            "w_start": w_start,
            "w_end": w_end,
        }
    )
    # stay alive (and connected) until the parent has sampled the machine at the end of
    # the window: an exited process's CPU could not be told apart from other work's
    release.wait(timeout=cfg.get("grace", 120))


def run_pool(
    factory: Factory,
    workers: int,
    cfg: dict[str, Any],
    *,
    bench: str,
    backend: str,
    transfers_per_op: int = 1,
    probe: Callable[[], float] | None = None,
) -> dict[str, Any]:
    """Run ``workers`` processes doing ``factory``'s op; return the aggregated result.

    The machine is shared: if other work used more than ``BENCH_MAX_OTHER`` (default
    0.25) of the CPU during the measured window, the point is measured again, at most
    ``BENCH_RETRIES`` (default 1) more times, and the least disturbed attempt is kept.
    ``probe`` (optional) is called by the parent at the start and at the end of the
    measured window; the difference is returned as ``probe_delta``."""
    retries = int(os.environ.get("BENCH_RETRIES", "1"))
    limit = float(os.environ.get("BENCH_MAX_OTHER", "0.25"))
    best: dict[str, Any] | None = None
    for attempt in range(1 + retries):
        if backend == "postgresql":
            vacuum_ledger()
        r = _run_pool_once(
            factory,
            workers,
            cfg,
            bench=bench,
            backend=backend,
            transfers_per_op=transfers_per_op,
            probe=probe,
        )
        r["attempt"] = attempt + 1
        if r.get("status") != "ok":
            return r
        if best is None or r["other_load"] < best["other_load"]:
            best = r
        if r["other_load"] <= limit or attempt == retries or not retry_fits(cfg):
            break
        print(
            f"   ({bench} @{workers}: other work used {r['other_load']:.0%} of the CPU "
            "during the window; measuring again)",
            flush=True,
        )
    assert best is not None
    return best


def retry_fits(cfg: dict[str, Any]) -> bool:
    """Whether one more measurement still fits in the run's time budget (run.sh sets
    ``BENCH_DEADLINE``, a Unix time, so that retries never push a run past ~10 min)."""
    deadline = float(os.environ.get("BENCH_DEADLINE", "0") or 0)
    return not deadline or time.time() + cfg["warmup"] + cfg["duration"] + 20 < deadline


def _run_pool_once(
    factory: Factory,
    workers: int,
    cfg: dict[str, Any],
    *,
    bench: str,
    backend: str,
    transfers_per_op: int,
    probe: Callable[[], float] | None,
) -> dict[str, Any]:
    quiet = quiet_check()
    # fork is much cheaper than spawn on a small machine (no re-import of Django per
    # worker); the parent never holds a database connection when it forks, and every
    # child still calls django.setup() and opens its own connection.
    ctx = mp.get_context(os.environ.get("BENCH_MP_START", "fork"))
    barrier = ctx.Barrier(workers + 1)
    start_at = ctx.Value("d", 0.0)
    queue = ctx.Queue()
    release = ctx.Event()
    procs = [
        ctx.Process(
            target=_worker_main,
            args=(factory, i, cfg, barrier, start_at, queue, release),
            daemon=True,
        )
        for i in range(workers)
    ]
    for p in procs:
        p.start()
    outs: list[dict[str, Any]] = []
    fatal: list[str] = []
    with contextlib.suppress(Exception):  # a worker failed to set up: its message says why
        barrier.wait(timeout=300)
    start_at.value = t0 = time.monotonic() + 0.05
    # the parent samples the machine at both ends of the measured window (the workers only
    # report after it, so nothing waits on the parent meanwhile)
    time.sleep(max(0.0, t0 + cfg["warmup"] - time.monotonic()))
    m0 = machine_sample()
    p0 = probe() if probe is not None else 0.0
    time.sleep(max(0.0, t0 + cfg["warmup"] + cfg["duration"] - time.monotonic()))
    m1 = machine_sample()
    probe_delta = probe() - p0 if probe is not None else None
    release.set()
    deadline = time.monotonic() + cfg["warmup"] + cfg["duration"] + cfg.get("grace", 120)
    while len(outs) < workers and time.monotonic() < deadline:
        try:
            msg = queue.get(timeout=max(0.1, deadline - time.monotonic()))
        except Exception:
            break
        if "fatal" in msg:
            fatal.append(msg["fatal"])
        outs.append(msg)
    for p in procs:
        p.join(timeout=10)
        if p.is_alive():
            p.terminate()  # only the processes this function started
            p.join(timeout=5)
    base = {"bench": bench, "backend": backend, "workers": workers, **quiet}
    real_fatal = [f for f in fatal if "barrier broken" not in f]
    if fatal or len(outs) < workers:
        msg = (real_fatal or fatal or ["workers did not report in time"])[0]
        print(msg, file=sys.stderr)
        return {**base, "status": "failed", "error": msg.strip().splitlines()[-1][:300]}
    w_start = outs[0]["w_start"]
    w_end = outs[0]["w_end"]
    duration = w_end - w_start
    transfers = 0.0
    refused = 0.0
    ops = 0.0
    lat: list[float] = []
    edge: list[float] = []
    for o in outs:
        for s, e, b, r in o["records"]:
            span = e - s
            inside = min(e, w_end) - max(s, w_start)
            if inside <= 0:
                continue
            frac = inside / span if span > 0 else 1.0
            transfers += b * frac
            refused += r * frac
            ops += frac
            if w_start < e <= w_end:
                lat.append((e - s) * 1000)
            else:
                edge.append((e - s) * 1000)
    if len(lat) < 5:  # long operations (batch calls): take those overlapping the window too
        lat += edge
    lat.sort()
    errors = sum(o["errors"] for o in outs)
    attempted = transfers + refused
    result = {
        **base,
        "status": "ok",
        "duration_s": round(duration, 3),
        "warmup_s": cfg["warmup"],
        "transfers_per_s": round(transfers / duration, 1),
        "ops_per_s": round(ops / duration, 2),
        "transfers_per_op": transfers_per_op,
        "ops": len(lat),
        "p50_ms": round(percentile(lat, 50), 3),
        "p99_ms": round(percentile(lat, 99), 3),
        "mean_ms": round(sum(lat) / len(lat), 3) if lat else float("nan"),
        "refusal_rate": round(refused / attempted, 6) if attempted else 0.0,
        "errors": errors,
        "error_sample": sorted({e for o in outs for e in o["error_sample"]})[:3],
        "extra": [o.get("extra") for o in outs if o.get("extra") is not None],
        "other_load": other_load(m0, m1),
        "steal": steal_share(m0, m1),
    }
    if probe_delta is not None:
        result["probe_delta"] = probe_delta
    return result


def parse_workers(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def common_args(parser: Any) -> None:
    parser.add_argument("--workers", default="1,4,8,16", help="comma-separated worker counts")
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds per point")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds per point")
