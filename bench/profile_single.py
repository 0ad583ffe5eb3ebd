"""Where the time of one service-layer transfer goes, at 8 concurrent workers.

    python bench/profile_single.py --workers 8 --duration 10 [--py-spy]

Pass 1 (always): 8 worker processes run the same load as ``bench_service.py
--mode single``, instrumented without a profiler:

* SQL round trips per transfer, by statement (a Django execute wrapper) plus the
  BEGIN/COMMIT that psycopg sends itself (counted in ``_exec_command``);
* wall time per phase (the engine's functions wrapped with a timer in this
  process only; nothing under src/ is changed): metadata lookup, account lock,
  insert, counter update, the re-read of the booked transfer (``load_transfers``),
  COMMIT, and the rest; inside each phase, the time spent in ``cursor.execute``
  (network + PostgreSQL + psycopg) is separated from Python;
* CPU per transfer: the worker process (``time.process_time``) and its PostgreSQL
  backend (``/proc/<pid>/stat``);
* worker 0 also runs under cProfile: own time by layer, and the top functions.

Pass 2 (``--py-spy``, when ``.venv/bin/py-spy`` exists): the un-instrumented
benchmark at the same concurrency sampled by py-spy (``--subprocesses``, on-CPU
samples, 100 Hz), stacks inside ``book_one`` bucketed by layer: a low-overhead
check of the cProfile shares.
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import os
import pstats
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common

WAIT = "psycopg wait (blocked until the server answers)"
# the engine's steps that get a timer, when the engine (changing in parallel) has them:
# (phase, module, function)
# (the engine package: caches, general path, results; its SQL per backend is timed on
# the generic statements, which the backends call for small calls)
TIMED = (
    ("hot_set", "caches", "hot_set"),
    ("one_round_trip", "fast_path", "book_one"),
    ("idempotency", "general", "recorded_keys"),
    ("lock", "general", "lock_accounts"),
    ("insert", "sql", "insert_transfers"),
    ("update", "sql", "add_to_accounts"),
    ("result", "results", "booked"),
    ("load", "services", "load_transfers"),
)
PHASES = [t[0] for t in TIMED] + ["commit"]


def _sql_key(sql: str) -> str:
    s = " ".join(sql.split())
    if s.startswith("SELECT id, hot"):
        return "SELECT id, hot FROM ledger_account (hot-flag cache miss)"
    if s.startswith("SELECT id FROM ledger_account WHERE hot"):
        return "SELECT id FROM ledger_account WHERE hot (hot-set reload)"
    if s.startswith("SELECT id, currency"):
        return "SELECT … FROM ledger_account … FOR UPDATE/SHARE"
    if s.startswith("INSERT INTO ledger_transfer"):
        return "INSERT INTO ledger_transfer … RETURNING"
    if s.startswith("WITH v(id") or s.startswith("UPDATE ledger_account SET"):
        return "UPDATE ledger_account (counters)"
    if s.startswith("UPDATE ledger_account_shard"):
        return "UPDATE ledger_account_shard"
    if s.startswith('SELECT "ledger_transfer"'):
        return "SELECT ledger_transfer JOIN account×2 JOIN transfer (load_transfers)"
    return s[:60]


def _layer(filename: str, name: str) -> str:
    f = filename.replace("\\", "/")
    if "psycopg" in f or "psycopg" in name:
        if name in ("wait", "wait_c") or "waiting" in f:
            return WAIT
        return "psycopg (adapt/send/fetch)"
    if "django/db/models/sql" in f:
        return "Django ORM: SQL compiler"
    if "django/db/models" in f:
        return "Django ORM: querysets/models"
    if "django/db/backends" in f or "django/db/utils" in f:
        return "Django DB backend (cursor wrapper, ops)"
    if "django/db/transaction" in f:
        return "Django transaction.atomic"
    if "django/" in f:
        return "Django other"
    if "custodesk/ledger/engine" in f:
        return "custodesk engine (package)"
    if "custodesk/ledger/services" in f:
        return "custodesk services.py"
    if "custodesk/" in f:
        return "custodesk other"
    if "bench/" in f or "profile_single" in f:
        return "benchmark harness"
    return STDLIB


STDLIB = "stdlib/builtins (json, uuid, hashlib, dataclasses…)"


def _attribute(
    raw: dict[Any, Any], key: Any, t: float, depth: int, layers: collections.Counter[str]
) -> None:
    """Add ``t`` to the layer of ``key``; time of stdlib/builtin functions goes up to the
    layer that called them (e.g. ``inspect.Signature.bind`` called by the ORM's
    ``Expression.identity`` counts as ORM), in proportion to the time each caller caused."""
    layer = _layer(key[0], key[2])
    callers = raw.get(key, (0, 0, 0, 0, {}))[4]
    if layer != STDLIB or depth >= 8 or not callers:
        layers[layer] += t
        return
    # at the first step ``t`` is own time (split by the callers' tt), later it is time
    # spent inside this function (split by the callers' cumulative time)
    weights = {c: (v[2] if depth == 0 else v[3]) for c, v in callers.items()}
    total = sum(weights.values())
    if total <= 0:
        weights = {c: v[1] for c, v in callers.items()}
        total = sum(weights.values()) or 1
    for c, w in weights.items():
        if w:
            _attribute(raw, c, t * w / total, depth + 1, layers)


def _proc_cpu(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def worker(index: int, cfg: dict[str, Any]) -> Callable[[], tuple[int, int]]:
    common.configure("postgresql")
    from django.db import connection
    from psycopg import _connection_base

    from custodesk.core import clock
    from custodesk.ledger import services
    from custodesk.ledger.engine import caches, fast_path, general, results
    from custodesk.ledger.engine.sql import GenericSQL

    ids = common.member_ids()
    rng = random.Random(cfg["seed"] * 1000 + index)
    stmt_n: collections.Counter[str] = collections.Counter()
    stmt_t: collections.Counter[str] = collections.Counter()
    phase_t: collections.Counter[str] = collections.Counter()
    phase_c: collections.Counter[str] = collections.Counter()
    phase_sql: collections.Counter[str] = collections.Counter()
    current: list[str] = []
    counting = [False]
    samples: dict[str, tuple[str, Any]] = {}

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            if counting[0]:
                dt = time.perf_counter() - t
                k = _sql_key(sql)
                stmt_n[k] += 1
                stmt_t[k] += dt
                if k not in samples:
                    samples[k] = (sql, list(params) if params is not None else None)
                if current:
                    phase_sql[current[-1]] += dt

    orig_exec = _connection_base.BaseConnection._exec_command

    def exec_command(self: Any, command: Any, *a: Any, **kw: Any) -> Any:
        if counting[0]:
            text = command.decode() if isinstance(command, bytes) else str(command)
            stmt_n[text.split()[0].upper() + " (sent by psycopg)"] += 1
        return orig_exec(self, command, *a, **kw)

    _connection_base.BaseConnection._exec_command = exec_command  # type: ignore[method-assign]

    # statements the engine runs on its own server-side-binding cursor (custodesk.core.sql:
    # the prepared booking call, bulk arrays) bypass Django's execute wrappers
    import psycopg

    orig_cursor_execute = psycopg.Cursor.execute

    def cursor_execute(self: Any, query: Any, params: Any = None, **kw: Any) -> Any:
        if isinstance(self, psycopg.ClientCursor):  # Django's own: counted by the wrapper
            return orig_cursor_execute(self, query, params, **kw)
        t = time.perf_counter()
        try:
            return orig_cursor_execute(self, query, params, **kw)
        finally:
            if counting[0]:
                dt = time.perf_counter() - t
                k = _sql_key(str(query)) + (" (prepared)" if kw.get("prepare") else "")
                stmt_n[k] += 1
                stmt_t[k] += dt
                if current:
                    phase_sql[current[-1]] += dt

    psycopg.Cursor.execute = cursor_execute  # type: ignore[method-assign]

    child: list[float] = [0.0, 0.0]  # wall, CPU of nested timed phases (for exclusivity)

    def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def inner(*a: Any, **kw: Any) -> Any:
            current.append(name)
            outer = child[:]
            child[0] = child[1] = 0.0
            t = time.perf_counter()
            c = time.thread_time()
            try:
                return fn(*a, **kw)
            finally:
                current.pop()
                total = time.perf_counter() - t
                total_c = time.thread_time() - c
                if counting[0]:
                    phase_t[name] += total - child[0]  # exclusive of nested phases
                    phase_c[name] += total_c - child[1]
                child[0] = outer[0] + total
                child[1] = outer[1] + total_c

        return inner

    modules: dict[str, Any] = {
        "caches": caches, "fast_path": fast_path, "general": general, "results": results,
        "sql": GenericSQL, "services": services,
    }  # fmt: skip
    for phase, mod, fn in TIMED:
        if hasattr(modules[mod], fn):
            setattr(modules[mod], fn, timed(phase, getattr(modules[mod], fn)))

    def book() -> tuple[int, int]:
        d, c = rng.sample(ids, 2)
        out = services.book_one(
            services.TransferSpec(d, c, rng.randint(1, 100_000), "HKD"),
            now=clock.now(),
            business_date=clock.business_date(),
        )
        return (1, 0) if out.ok else (0, 1)

    book()  # opens the connection
    connection.execute_wrappers.append(wrapper)
    commit = connection.commit
    connection.commit = timed("commit", commit)  # type: ignore[method-assign]
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        backend_pid = cur.fetchone()[0]
    # default (wall) timer: a CPU-time timer costs a system call per event, which slows
    # worker 0 down to a handful of transfers; the blocking wait is left out of the shares
    prof = cProfile.Profile() if index == 0 else None
    totals = {"n": 0, "wall": 0.0, "cpu_op": 0.0}
    cpu0 = time.process_time()
    pg0 = _proc_cpu(backend_pid)
    counting[0] = True
    if prof is not None:
        prof.enable()

    def op() -> tuple[int, int]:
        t = time.perf_counter()
        c = time.thread_time()
        r = book()
        totals["cpu_op"] += time.thread_time() - c
        totals["wall"] += time.perf_counter() - t
        totals["n"] += 1
        return r

    def collect() -> dict[str, Any]:
        if prof is not None:
            prof.disable()
        counting[0] = False
        pg1 = _proc_cpu(backend_pid)
        out: dict[str, Any] = {
            "index": index,
            "n": totals["n"],
            "wall": totals["wall"],
            "cpu_op": totals["cpu_op"],
            "cpu": time.process_time() - cpu0,
            "pg_cpu": (pg1 - pg0) if pg0 is not None and pg1 is not None else None,
            "stmt_n": dict(stmt_n),
            "stmt_t": dict(stmt_t),
            "phase_t": dict(phase_t),
            "phase_c": dict(phase_c),
            "phase_sql": dict(phase_sql),
            "samples": samples if index == 1 else {},
        }
        if prof is not None:
            st = pstats.Stats(prof)
            layers: collections.Counter[str] = collections.Counter()
            funcs = []
            raw = st.stats  # type: ignore[attr-defined]
            for key, (_cc, nc, tt, ct, _callers) in raw.items():
                _attribute(raw, key, tt, 0, layers)
                fname, line, name = key
                funcs.append((tt, nc, ct, f"{_short(fname)}:{line}({name})"))
            funcs.sort(reverse=True)
            out["cprofile_layers"] = dict(layers)
            out["cprofile_top"] = funcs[:25]
        return out

    op.collect = collect  # type: ignore[attr-defined]
    return op


def _short(path: str) -> str:
    for marker in ("site-packages/", "src/", "lib/python3"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def explain_statements(samples: dict[str, tuple[str, Any]], repeat: int = 15) -> dict[str, Any]:
    """PostgreSQL's own planning and execution time of each statement of the path
    (EXPLAIN ANALYZE inside a transaction that is rolled back; median of ``repeat``)."""
    import uuid

    from django.db import connection, transaction

    out: dict[str, Any] = {}
    for key, (sql, params) in samples.items():
        plan_ms: list[float] = []
        exec_ms: list[float] = []
        for _ in range(repeat):
            p = list(params) if params is not None else None
            if key.startswith("INSERT") and p:
                # fresh public_ids (the sampled ones are committed): one value, or an array
                # of them (engines that insert with unnest)
                first = p[0]
                p[0] = [uuid.uuid4() for _ in first] if isinstance(first, list) else uuid.uuid4()
            try:
                with transaction.atomic(), connection.cursor() as cur:
                    cur.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, p)
                    doc = cur.fetchone()[0]
                    transaction.set_rollback(True)
            except Exception as exc:
                out[key] = {"error": str(exc)[:200]}
                break
            doc = doc[0] if isinstance(doc, list) else doc
            plan_ms.append(float(doc.get("Planning Time", 0.0)))
            exec_ms.append(float(doc.get("Execution Time", 0.0)))
        if plan_ms:
            plan_ms.sort()
            exec_ms.sort()
            out[key] = {
                "planning_ms": round(plan_ms[len(plan_ms) // 2], 3),
                "execution_ms": round(exec_ms[len(exec_ms) // 2], 3),
            }
    connection.close()
    print("  PostgreSQL's own time per statement (EXPLAIN ANALYZE, idle-ish, median):")
    for key, v in out.items():
        if "error" in v:
            print(f"    {key:<70} {v['error']}")
        else:
            print(
                f"    {key:<70} planning {v['planning_ms']:.3f} ms, "
                f"execution {v['execution_ms']:.3f} ms"
            )
    return out


def report_pass1(result: dict[str, Any]) -> dict[str, Any]:
    extras = result["extra"]
    others = [e for e in extras if e["index"] != 0] or extras
    n = sum(e["n"] for e in others)
    wall = sum(e["wall"] for e in others) / n * 1000
    cpu = sum(e["cpu"] for e in others) / n * 1000
    cpu_op = sum(e["cpu_op"] for e in others) / n * 1000
    pg = [e["pg_cpu"] for e in others if e["pg_cpu"] is not None]
    pg_cpu = sum(pg) / n * 1000 if pg else None
    stmt_n: collections.Counter[str] = collections.Counter()
    stmt_t: collections.Counter[str] = collections.Counter()
    phase_t: collections.Counter[str] = collections.Counter()
    phase_c: collections.Counter[str] = collections.Counter()
    phase_sql: collections.Counter[str] = collections.Counter()
    for e in others:
        phase_c.update(e["phase_c"])
        stmt_n.update(e["stmt_n"])
        stmt_t.update(e["stmt_t"])
        phase_t.update(e["phase_t"])
        phase_sql.update(e["phase_sql"])
    print(f"\n== profile: {result['workers']} workers, {result['transfers_per_s']} transfers/s")
    print(f"per transfer (workers 1..{len(extras) - 1}, not profiled; {n} transfers):")
    print(f"  wall {wall:.2f} ms   worker CPU {cpu:.2f} ms ({cpu_op:.2f} in book_one)  ", end="")
    print(f"PostgreSQL backend CPU {pg_cpu:.2f} ms" if pg_cpu is not None else "")
    print("  SQL round trips per transfer:")
    trips = 0.0
    for k, v in sorted(stmt_n.items(), key=lambda kv: -kv[1]):
        per = v / n
        trips += per
        t = stmt_t.get(k)
        tt = f"{t / n * 1000:7.2f} ms in cursor.execute" if t is not None else ""
        print(f"    {per:5.2f}  {k:<70} {tt}")
    print(f"    {trips:5.2f}  total")
    # the first statement's execute also carries psycopg's BEGIN
    print("  by phase (ms per transfer; wall = SQL round trip + Python; CPU of the worker):")
    rows = {}
    accounted = accounted_c = 0.0
    for p in PHASES:
        if p not in phase_t:
            continue  # not in this version of the engine, or never called
        t = phase_t.get(p, 0.0) / n * 1000
        c = phase_c.get(p, 0.0) / n * 1000
        # COMMIT goes through psycopg's own command path, not cursor.execute: all of it
        # is the round trip (WAL flush included)
        s = t if p == "commit" else phase_sql.get(p, 0.0) / n * 1000
        accounted += t
        accounted_c += c
        rows[p] = {
            "ms": round(t, 3),
            "sql_ms": round(s, 3),
            "python_ms": round(t - s, 3),
            "cpu_ms": round(c, 3),
        }
        print(f"    {p:<10} wall {t:7.2f} = {s:6.2f} SQL + {t - s:6.2f} Python;  CPU {c:5.2f}")
    rest, rest_c = wall - accounted, cpu_op - accounted_c
    rows["rest"] = {"ms": round(rest, 3), "cpu_ms": round(rest_c, 3)}
    print(f"    {'rest':<10} wall {rest:7.2f}{'':31}CPU {rest_c:5.2f}")
    print("    (BEGIN travels inside the first statement's round trip; rest = book_one,")
    print("     _book_once, transaction.atomic, the in-memory rules, building specs)")
    summary: dict[str, Any] = {
        "bench": "profile_single",
        "backend": "postgresql",
        "workers": result["workers"],
        "status": "ok",
        "transfers_per_s": result["transfers_per_s"],
        "wall_ms": round(wall, 3),
        "worker_cpu_ms": round(cpu, 3),
        "worker_cpu_in_book_ms": round(cpu_op, 3),
        "pg_backend_cpu_ms": round(pg_cpu, 3) if pg_cpu is not None else None,
        "round_trips": round(trips, 2),
        "statements": {k: round(v / n, 3) for k, v in stmt_n.items()},
        "statement_ms": {k: round(v / n * 1000, 3) for k, v in stmt_t.items()},
        "phases": rows,
    }
    prof = next((e for e in extras if "cprofile_layers" in e), None)
    if prof is not None:
        pn = prof["n"]
        layers = prof["cprofile_layers"]
        busy = sum(v for k, v in layers.items() if k != WAIT)
        print(
            f"  cProfile of worker 0 ({pn} transfers; own time outside the blocking wait; the"
            f" profiler inflates it, so shares are scaled to the un-profiled {cpu:.2f} ms CPU"
            " per transfer):"
        )
        for k, v in sorted(layers.items(), key=lambda kv: -kv[1]):
            if k != WAIT:
                print(f"    {v / busy:6.1%}  ≈{v / busy * cpu:6.2f} ms  {k}")
        print("  top functions by own time (share of Python time, calls per transfer):")
        for tt, nc, _ct, name in [f for f in prof["cprofile_top"] if "(wait)" not in f[3]][:15]:
            print(f"    {tt / busy:6.1%} {nc / pn:7.1f}×  {name}")
        summary["cprofile_python_share"] = {
            k: round(v / busy, 4) for k, v in layers.items() if k != WAIT
        }
        summary["cprofile_top"] = [
            {"function": name, "share": round(tt / busy, 4), "calls": round(nc / pn, 2)}
            for tt, nc, _ct, name in prof["cprofile_top"][:15]
        ]
    return summary


# -- pass 2: py-spy ---------------------------------------------------------------
_FRAME = re.compile(r"^(?P<name>.*) \((?P<file>[^():]*)(?::\d+)?\)$")


def py_spy_pass(
    pyspy: str, workers: int, duration: float, warmup: float, cpu_ms: float
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="pyspy-") as tmp:
        out = Path(tmp) / "stacks.txt"
        cmd = [
            pyspy, "record", "--subprocesses", "--rate", "100", "--format", "raw",
            "--output", str(out), "--",
            sys.executable, str(Path(__file__).parent / "bench_service.py"),
            "--mode", "single", "--workers", str(workers),
            "--duration", str(duration), "--warmup", str(warmup),
        ]  # fmt: skip
        env = {k: v for k, v in os.environ.items() if k != "BENCH_RESULTS"}
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=warmup + duration + 180, env=env
        )
        if proc.returncode != 0 or not out.exists():
            print(f"py-spy failed: {proc.stderr[-500:]}")
            return {"status": "failed"}
        m = re.search(r'"transfers_per_s": ([\d.]+)', proc.stdout)
        tps = float(m.group(1)) if m else float("nan")
        lat_m = re.search(r'"mean_ms": ([\d.]+)', proc.stdout)
        mean_ms = float(lat_m.group(1)) if lat_m else float("nan")
        leaf: collections.Counter[str] = collections.Counter()
        incl: collections.Counter[str] = collections.Counter()
        total = 0
        busy = 0
        for line in out.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if "book_one" not in stack or not count.isdigit():
                continue
            c = int(count)
            total += c
            frames = stack.split(";")
            fm = _FRAME.match(frames[-1])
            name, fname = (fm.group("name"), fm.group("file")) if fm else (frames[-1], "")
            name = name.rsplit(".", 1)[-1]
            layer = _layer(fname, name)
            leaf[layer] += c
            if layer == WAIT:
                continue  # blocked on the server (or runnable, waiting for a CPU)
            busy += c
            seen = set()
            for fr in frames:
                for key, label in (
                    ("load_transfers", "load_transfers (re-read of the booked row, ORM)"),
                    ("lock_accounts", "lock_accounts (incl. hot-set lookup)"),
                    ("hot_set", "hot_set (hot-account lookup)"),
                    ("book_one (", "fast_path.book_one (the one-round-trip call)"),
                    ("insert_transfers", "insert_transfers"),
                    ("add_to_accounts", "add_to_accounts"),
                    ("commit (django/db/backends", "COMMIT"),
                ):
                    if key in fr:
                        seen.add(label)
            incl.update(dict.fromkeys(seen, c))
    busy = max(busy, 1)
    print(f"\n== py-spy (100 Hz): {workers} workers, {tps} transfers/s; {total} samples inside "
          f"book_one, {leaf[WAIT] / max(total, 1):.0%} of them blocked in psycopg's wait; the "
          f"rest scaled to {cpu_ms:.2f} ms CPU per transfer")  # fmt: skip
    print("  by innermost layer:")
    for k, v in sorted(leaf.items(), key=lambda kv: -kv[1]):
        if k != WAIT:
            print(f"    {v / busy:6.1%}  ≈{v / busy * cpu_ms:6.2f} ms  {k}")
    print("  inclusive, by engine step:")
    for k, v in sorted(incl.items(), key=lambda kv: -kv[1]):
        print(f"    {v / busy:6.1%}  ≈{v / busy * cpu_ms:6.2f} ms  {k}")
    return {
        "status": "ok",
        "transfers_per_s": tps,
        "mean_ms": mean_ms,
        "samples": total,
        "blocked_share": round(leaf[WAIT] / max(total, 1), 4),
        "leaf_share": {k: round(v / busy, 4) for k, v in leaf.items() if k != WAIT},
        "inclusive_share": {k: round(v / busy, 4) for k, v in incl.items()},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--warmup", type=float, default=2.0)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--py-spy", action="store_true", help="also sample with py-spy if installed")
    args = ap.parse_args()
    cfg = {"seed": args.seed, "warmup": args.warmup, "duration": args.duration}
    common.configure("postgresql")  # in the parent, no connection; the workers fork from it
    result = common.run_pool(
        worker, args.workers, cfg, bench="profile_single", backend="postgresql"
    )
    if result.get("status") != "ok":
        common.emit(result, common.fmt(result))
        raise SystemExit(1)
    summary = report_pass1(result)
    samples = next((e["samples"] for e in result["extra"] if e.get("samples")), {})
    if samples:
        summary["explain"] = explain_statements(samples)
    if args.py_spy:
        pyspy = shutil.which("py-spy") or str(common.ROOT / ".venv" / "bin" / "py-spy")
        if Path(pyspy).exists():
            summary["py_spy"] = py_spy_pass(
                pyspy, args.workers, args.duration, args.warmup, summary["worker_cpu_ms"]
            )
        else:
            print("\n(py-spy not installed: `.venv/bin/pip install py-spy` to add pass 2)")
    common.emit(summary, f"profile summary: {summary['round_trips']} round trips per transfer")


if __name__ == "__main__":
    main()
