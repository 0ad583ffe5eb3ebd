"""Prepare a benchmark database (idempotent): migrate, accounts, admin user, funding.

    python bench/seed.py --backend postgresql --admin --reset
    python bench/seed.py --backend sqlite --reset

* 10,000 member accounts ``BM-00000`` … (kind member_sub, HKD, with the rule
  debits_must_not_exceed_credits, so a transfer that would overdraw is refused);
* ``BENCH-FUNDING`` (bank_clearing, no balance rule) that funds every member with
  HKD 100,000,000.00, so that refusals stay rare (the benchmarks report the rate);
* ``BENCH-SUMMARY``: a market summary account opened with ``hot=True`` (16 shards);
* ``--admin``: user ``benchadmin`` with every permission and no forced password change;
* ``--reset``: empties the transfer tables and zeroes the counters first, so every
  run starts from the same state (only ever done on the benchmark database).

Accounts are opened through ``services.account_open`` (audited, one transaction
each), four processes in parallel on PostgreSQL; only missing ones are opened.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common

FUND = 10_000_000_000  # minor units per member: HKD 100,000,000.00


def _open_members(backend: str, codes: list[str]) -> int:
    common.configure(backend)
    from custodesk.core import clock
    from custodesk.ledger import services

    for code in codes:
        services.account_open(
            actor=None,
            code=code,
            kind="member_sub",
            currency="HKD",
            name=f"Benchmark member {code}",
            debits_must_not_exceed_credits=True,
            now=clock.now(),
        )
    return len(codes)


def _ensure_account(code: str, **kw: object) -> int:
    from custodesk.core import clock
    from custodesk.ledger import services
    from custodesk.ledger.models import LedgerAccount

    a = LedgerAccount.objects.filter(code=code).first()
    if a is None:
        a = services.account_open(actor=None, code=code, currency="HKD", now=clock.now(), **kw)
        print(f"opened {code}")
    return a.pk


def _reset(backend: str) -> None:
    from django.db import connection, transaction

    from custodesk.core.guards import guards_lifted

    tables = ["ledger_refused_transfer", "ledger_seal", "ledger_transfer"]
    # a benchmark database only: its append-only guards are lifted to empty it
    with transaction.atomic(), guards_lifted("ledger_transfer"), connection.cursor() as cur:
        if backend == "postgresql":
            cur.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY")
        else:
            for t in tables:
                cur.execute(f"DELETE FROM {t}")
        cur.execute(
            "UPDATE ledger_account SET debits_posted = 0, credits_posted = 0, "
            "debits_pending = 0, credits_pending = 0"
        )
        cur.execute(
            "UPDATE ledger_account_shard SET debits_posted = 0, credits_posted = 0, "
            "debits_pending = 0, credits_pending = 0"
        )
    print("reset: transfer tables emptied, counters zeroed")


def _fund(funding_id: int) -> None:
    from custodesk.core import clock
    from custodesk.ledger import engine, services
    from custodesk.ledger.models import LedgerAccount

    need = list(
        LedgerAccount.objects.filter(
            code__startswith=common.MEMBER_PREFIX, credits_posted__lt=FUND // 2
        )
        .order_by("id")
        .values_list("id", flat=True)
    )
    for start in range(0, len(need), engine.MAX_BATCH):
        chunk = need[start : start + engine.MAX_BATCH]
        specs = [
            services.TransferSpec(funding_id, aid, FUND, "HKD", kind="bench_funding")
            for aid in chunk
        ]
        outs = services.book(specs, now=clock.now(), business_date=clock.business_date())
        bad = [o for o in outs if not o.ok]
        if bad:
            raise SystemExit(f"funding refused: {bad[0].code} {bad[0].detail}")
    if need:
        print(f"funded {len(need)} member accounts")


def _admin() -> None:
    from django.conf import settings

    from custodesk.core import clock
    from custodesk.core.cli import run
    from custodesk.identity import services as identity
    from custodesk.identity.models import User

    if User.objects.filter(username__iexact=common.ADMIN_USERNAME).exists():
        return
    run(
        identity.bootstrap_admin,
        organisation_code=settings.CUSTODESK_STAFF_ORGANISATION,
        organisation_name="Custodesk back office",
        username=common.ADMIN_USERNAME,
        full_name="Benchmark administrator",
        password=common.ADMIN_PASSWORD,
        must_change_password=False,
        now=clock.now(),
    )
    print(f"created admin user {common.ADMIN_USERNAME}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql")
    ap.add_argument("--admin", action="store_true", help="create the API benchmark user")
    ap.add_argument("--reset", action="store_true", help="empty transfers, zero counters")
    ap.add_argument("--procs", type=int, default=4, help="processes opening accounts (pg)")
    args = ap.parse_args()

    common.configure(args.backend)
    from django.core.management import call_command
    from django.db import connection

    from custodesk.ledger.models import LedgerAccount

    t0 = time.monotonic()
    call_command("migrate", interactive=False, verbosity=0)
    funding_id = _ensure_account(common.FUNDING_CODE, kind="bank_clearing", name="Bench funding")
    _ensure_account(common.SUMMARY_CODE, kind="market_summary", name="Bench summary", hot=True)
    have = set(
        LedgerAccount.objects.filter(code__startswith=common.MEMBER_PREFIX).values_list(
            "code", flat=True
        )
    )
    missing = [
        f"{common.MEMBER_PREFIX}{i:05d}"
        for i in range(common.MEMBERS)
        if f"{common.MEMBER_PREFIX}{i:05d}" not in have
    ]
    if missing:
        procs = args.procs if args.backend == "postgresql" else 1
        print(f"opening {len(missing)} member accounts with {procs} process(es)…", flush=True)
        connection.close()
        chunks = [missing[i::procs] for i in range(procs)]
        with mp.get_context("spawn").Pool(procs) as pool:
            done = sum(pool.starmap(_open_members, [(args.backend, c) for c in chunks if c]))
        print(f"opened {done} member accounts in {time.monotonic() - t0:.1f} s")
    if args.reset:
        _reset(args.backend)
    _fund(funding_id)
    if args.admin:
        _admin()
    if args.backend == "postgresql":
        connection.close()
        with connection.cursor() as cur:  # autocommit: VACUUM cannot run in a transaction
            for t in ("ledger_account", "ledger_account_shard", "ledger_transfer"):
                cur.execute(f"VACUUM ANALYZE {t}")
    print(f"seed ({args.backend}) ready in {time.monotonic() - t0:.1f} s")


if __name__ == "__main__":
    main()
