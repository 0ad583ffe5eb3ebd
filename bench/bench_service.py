"""Ledger transfers through the service layer, N worker processes.

    python bench/bench_service.py --mode single  --workers 1,4,8,16
    python bench/bench_service.py --mode hot     --workers 1,4,8,16
    python bench/bench_service.py --mode batch   --workers 1,4 --batch-size 8190
    python bench/bench_service.py --mode single  --backend sqlite --workers 1,4
    python bench/bench_service.py --mode single  --backend sqlite --workers 1 \
        --sqlite-synchronous NORMAL
    python bench/bench_service.py --mode single  --workers 8 --prewarm
    python bench/bench_service.py --mode single  --workers 8 --prewarm --what-if-no-reload

single: ``services.book_one`` of one posted transfer between a random pair of the
        10,000 funded member accounts (amount HKD 0.01 … 1,000.00);
hot:    ``services.book_one`` debiting the one hot summary account (BENCH-SUMMARY,
        16 counter shards) and crediting a random member account;
batch:  ``services.book`` with ``--batch-size`` random-pair transfers per call.

``--prewarm`` fills the engine's per-process hot-flag cache for every account first
(the state of a long-running server process), on engine versions that keep one per
account: there, random pairs among 10,000 accounts miss that cache on nearly every
call, costing one extra SELECT.
``--sqlite-synchronous NORMAL`` is an experiment on SQLite: the product runs FULL (every
commit fsync'ed: safe against power loss); NORMAL shows what that durability costs.
``--what-if-no-reload`` is an experiment, not the product: it stubs out the re-read of
the booked transfer (``services.load_transfers``) to measure what dropping it would gain.

Run bench/seed.py first (bench/run.sh does).
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common


def worker(index: int, cfg: dict[str, Any]) -> Callable[[], tuple[int, int]]:
    """Runs in the child process: set Django up, return the operation."""
    common.configure(cfg["backend"])
    from custodesk.core import clock
    from custodesk.ledger import services

    if cfg["sqlite_synchronous"] != "FULL" and cfg["backend"] == "sqlite":
        # EXPERIMENT, not the product: after Django's init_command (synchronous=FULL)
        from django.db.backends.signals import connection_created

        def lower(sender: Any, connection: Any, **kwargs: Any) -> None:
            connection.cursor().execute(f"PRAGMA synchronous={cfg['sqlite_synchronous']}")

        connection_created.connect(lower, weak=False)

    ids = common.member_ids()
    summary = common.account_id(common.SUMMARY_CODE)
    rng = random.Random(cfg["seed"] * 1000 + index)
    spec_cls = services.TransferSpec
    mode = cfg["mode"]
    size = cfg["batch_size"]

    def single() -> tuple[int, int]:
        d, c = rng.sample(ids, 2)
        out = services.book_one(
            spec_cls(d, c, rng.randint(1, 100_000), "HKD"),
            now=clock.now(),
            business_date=clock.business_date(),
        )
        return (1, 0) if out.ok else (0, 1)

    def hot() -> tuple[int, int]:
        out = services.book_one(
            spec_cls(summary, rng.choice(ids), rng.randint(1, 100_000), "HKD", kind="deposit"),
            now=clock.now(),
            business_date=clock.business_date(),
        )
        return (1, 0) if out.ok else (0, 1)

    def batch() -> tuple[int, int]:
        specs = []
        for _ in range(size):
            d, c = rng.sample(ids, 2)
            specs.append(spec_cls(d, c, rng.randint(1, 100_000), "HKD"))
        outs = services.book(specs, now=clock.now(), business_date=clock.business_date())
        ok = sum(1 for o in outs if o.ok)
        return ok, len(outs) - ok

    if cfg["what_if_no_reload"]:
        # WHAT-IF experiment, not the product's behaviour: skip the re-read of the booked
        # transfers (services.load_transfers) to measure what removing it would gain; the
        # outcome then carries only the internal id
        services.load_transfers = lambda ids: {}  # type: ignore[assignment]
    if cfg["prewarm"]:
        # a long-running process: the engine's account cache already knows every account
        # (engines with a per-account hot-flag cache; a whole-set cache fills by itself)
        from custodesk.ledger import engine

        fill = getattr(engine, "_hot_flags", None)
        if fill is not None:
            fill([*ids, summary])
    op = {"single": single, "hot": hot, "batch": batch}[mode]
    op()  # open the connection and fill the engine's metadata cache before the start
    return op


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    common.common_args(ap)
    ap.add_argument("--mode", choices=["single", "hot", "batch"], default="single")
    ap.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql")
    ap.add_argument("--batch-size", type=int, default=8190)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--prewarm",
        action="store_true",
        help="fill the engine's hot-flag cache for all accounts first (a long-lived process)",
    )
    ap.add_argument(
        "--what-if-no-reload",
        action="store_true",
        help="experiment: stub out services.load_transfers (the re-read after booking)",
    )
    ap.add_argument(
        "--sqlite-synchronous",
        choices=["FULL", "NORMAL"],
        default="FULL",
        help="experiment on SQLite: NORMAL instead of the product's FULL",
    )
    args = ap.parse_args()
    cfg = {
        "sqlite_synchronous": args.sqlite_synchronous,
        "backend": args.backend,
        "mode": args.mode,
        "batch_size": args.batch_size,
        "seed": args.seed,
        "prewarm": args.prewarm,
        "what_if_no_reload": args.what_if_no_reload,
        "warmup": args.warmup,
        "duration": args.duration,
    }
    bench = {"single": "service_single", "hot": "service_hot", "batch": "service_batch"}
    name = bench[args.mode] + ("" if args.backend == "postgresql" else "_sqlite")
    name += "_warm" if args.prewarm else ""
    name += "_whatif_noreload" if args.what_if_no_reload else ""
    name += "_sync_normal" if args.sqlite_synchronous == "NORMAL" else ""
    common.configure(args.backend)  # once in the parent (no connection), inherited by fork
    for n in common.parse_workers(args.workers):
        result = common.run_pool(
            worker,
            n,
            cfg,
            bench=name,
            backend=args.backend,
            transfers_per_op=args.batch_size if args.mode == "batch" else 1,
        )
        if args.mode == "batch":
            result["batch_size"] = args.batch_size
        common.emit(result, common.fmt(result))


if __name__ == "__main__":
    main()
