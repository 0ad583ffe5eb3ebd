"""Sealing (the transfer hash chain) measured: how fast it chains, and that booking does
not wait on it.

    python bench/bench_seal.py --workers 8 --seal-every 1

1. **Booking while a sealer runs**: single transfers (``services.book_one``, random
   pairs, as ``bench_service.py --mode single``) at N workers, measured twice in a row —
   with a sealer process calling ``services.seal`` every ``--seal-every`` seconds (the
   product's schedule is 60 s: this is 60× more often), and without it.  Reported: both
   throughputs, their ratio, and what the sealer did (seals, transfers chained, the
   longest it waited for transactions in flight).
2. **Seal rate**: everything booked so far chained in ``services.seal`` calls of up to
   100,000 transfers each, one after another, with nothing else running: transfers
   chained per second.  Then ``ledger verify`` over the whole ledger (which recomputes
   every seal), timed.

Run bench/seed.py first (bench/run.sh does).  PostgreSQL only: that is where bookings
run concurrently with the seal (SQLite serialises writers).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_service
import common


def sealer(every: float, stop: Any, out: Any) -> None:
    """Child process: seal every ``every`` seconds until ``stop``; report what it did."""
    common.configure("postgresql")
    from custodesk.core import clock
    from custodesk.ledger import services

    seals = chained = 0
    longest = 0.0
    deferred = 0
    while not stop.wait(every):
        t = time.perf_counter()
        try:
            s = services.seal(now=clock.now(), wait_seconds=5)
        except Exception as exc:  # SealDeferred: counted, not fatal
            deferred += 1
            print(f"   (seal: {exc})", flush=True)
            continue
        longest = max(longest, time.perf_counter() - t)
        if s is not None:
            seals += 1
            chained += s.count
    out.put(
        {"seals": seals, "chained": chained, "longest_ms": longest * 1000, "deferred": deferred}
    )


def booking_point(n: int, cfg: dict[str, Any], *, with_sealer: bool) -> dict[str, Any]:
    bench = "seal_booking_with_sealer" if with_sealer else "seal_booking_without"
    ctx = mp.get_context("fork")
    stop, out = ctx.Event(), ctx.Queue()
    proc = None
    if with_sealer:
        proc = ctx.Process(target=sealer, args=(cfg["seal_every"], stop, out), daemon=True)
        proc.start()
    try:
        r = common.run_pool(bench_service.worker, n, cfg, bench=bench, backend="postgresql")
    finally:
        stop.set()
    if proc is not None:
        r["sealer"] = out.get(timeout=60)
        proc.join(timeout=30)
    r["seal_every_s"] = cfg["seal_every"] if with_sealer else None
    return r


def seal_rate() -> dict[str, Any]:
    from django.db import connection

    from custodesk.core import clock
    from custodesk.ledger import services
    from custodesk.ledger.models import LedgerTransfer, TransferSeal

    total = LedgerTransfer.objects.count()
    t0 = time.perf_counter()
    c0 = time.process_time()
    chained = calls = 0
    while (s := services.seal(now=clock.now(), wait_seconds=5)) is not None:
        chained += s.count
        calls += 1
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0
    t1 = time.perf_counter()
    problems = services.verify()
    verify_s = time.perf_counter() - t1
    seals = TransferSeal.objects.count()
    connection.close()  # the parent forks the workers next: it must hold no connection
    return {
        "bench": "seal_rate",
        "backend": "postgresql",
        "workers": 1,
        "status": "ok",
        "transfers_in_ledger": total,
        "seals": seals,
        "chained_now": chained,
        "seal_calls": calls,
        "transfers_per_s": round(chained / wall, 1) if wall and chained else 0.0,
        "seal_wall_s": round(wall, 3),
        "seal_python_cpu_s": round(cpu, 3),
        "verify_s": round(verify_s, 3),
        "verify_transfers_per_s": round(total / verify_s, 1) if verify_s else 0.0,
        "verify_violations": len(problems),
        "p50_ms": 0.0,
        "p99_ms": 0.0,
        "refusal_rate": 0.0,
        "errors": len(problems),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    common.common_args(ap)
    ap.add_argument("--seal-every", type=float, default=1.0, help="seconds between seals")
    ap.add_argument("--seed", type=int, default=7)
    ap.set_defaults(workers="8")
    args = ap.parse_args()
    cfg = {
        "backend": "postgresql",
        "mode": "single",
        "batch_size": 1,
        "seed": args.seed,
        "prewarm": False,
        "what_if_no_reload": False,
        "warmup": args.warmup,
        "duration": args.duration,
        "seal_every": args.seal_every,
    }
    common.configure("postgresql")
    for n in common.parse_workers(args.workers):
        # chain what is there first, so the sealer sees only this point's bookings
        seal_rate()
        pair = []
        for with_sealer in (True, False):
            r = booking_point(n, cfg, with_sealer=with_sealer)
            common.emit(r, common.fmt(r) + (f"  sealer: {r['sealer']}" if "sealer" in r else ""))
            pair.append(r)
        if all(p.get("status") == "ok" for p in pair):
            ratio = pair[0]["transfers_per_s"] / pair[1]["transfers_per_s"]
            print(f"   booking with the sealer / without: {ratio:.1%}", flush=True)
    r = seal_rate()
    common.emit(
        r,
        f"seal_rate      postgresql {r['transfers_per_s']:>9.1f} transfers chained/s "
        f"({r['chained_now']} in {r['seal_calls']} seal call(s), {r['seal_wall_s']} s); "
        f"ledger verify over {r['transfers_in_ledger']} transfers and {r['seals']} seals: "
        f"{r['verify_s']} s, {r['verify_violations']} violation(s)",
    )


if __name__ == "__main__":
    main()
