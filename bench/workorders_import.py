"""The work-order batch import (WO-IMPORT) with a 50,000-row file, timed end to end.

    python bench/workorders_import.py --rows 50000 \
        --db-url postgresql://postgres@127.0.0.1:5432/wp2_bench

1. Creates the PostgreSQL database when missing (``createdb``), migrates it, creates the
   benchmark administrator (identity's ``bootstrap_admin``).
2. Adds ``--rows`` clients without accounts (``BENCH IMPORT n``) with **bulk inserts**
   (numbers drawn from the brokerage's number sequence, Luhn check digits): 50,000
   ``client_create`` calls would only time the set-up.  No audit rows for them — fine for
   a benchmark database, and only there.
3. Writes an XLSX file of ``--rows`` "Close client" rows (one per client, ``--format csv``
   for CSV), uploads it (``import_upload``), runs the real worker (``custodesk worker
   --batch --no-schedule``, a separate process) and polls the progress every second, as
   the console does; confirms; runs the worker again for the creation and polls.
4. Prints the time of each phase (upload, validation, creation: every order created and
   submitted to its approval flow through the work-order services) and one
   ``BENCH_JSON`` line.  Each run uses fresh clients, so it can be run again.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent


def _setup(db_url: str) -> None:
    name = urlparse(db_url).path.lstrip("/")
    if db_url.startswith("postgres"):
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=False,
                       capture_output=True)  # fmt: skip
    os.environ["DJANGO_SETTINGS_MODULE"] = "custodesk.config.settings"
    os.environ["CUSTODESK_DATABASE_URL"] = db_url
    os.environ.setdefault("CUSTODESK_SECRET_KEY", "bench")
    os.environ.setdefault("CUSTODESK_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _admin():
    from django.utils import timezone

    from custodesk.identity import services
    from custodesk.identity.models import User

    user = User.objects.filter(username="benchadmin").first()
    if user is None:
        user, _ = services.bootstrap_admin(
            organisation_code="STAFF", organisation_name="Bench back office",
            username="benchadmin", full_name="Bench Admin", password="Perf-Import-2026",
            must_change_password=False, now=timezone.now(),
        )  # fmt: skip
    return user


def _clients(n: int) -> list[str]:
    from django.db import transaction
    from django.utils import timezone

    from custodesk.brokerage.models import Client
    from custodesk.brokerage.services import numbers

    now = timezone.now()
    with transaction.atomic():
        nos = numbers.reserve(numbers.CLIENT, n)
        Client.objects.bulk_create(
            [
                Client(
                    client_no=no,
                    kind="individual",
                    name_en=f"BENCH IMPORT {no}",
                    created_at=now,
                    updated_at=now,
                )
                for no in nos
            ],
            batch_size=5_000,
        )
    return nos


def _file(nos: list[str], fmt: str) -> bytes:
    header = ["Kind", "Client or account number", "Closing kind", "Reason"]
    rows = [["Close client", no, "normal", f"Dormant since 2020 ({i})"] for i, no in enumerate(nos)]
    if fmt == "csv":
        import csv

        buf = io.StringIO()
        csv.writer(buf).writerows([header, *rows])
        return buf.getvalue().encode()
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("import")
    for r in [header, *rows]:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _run_worker_and_poll(batch_pk: int, label: str) -> float:
    from custodesk.workorders.imports.models import ImportBatch

    t0 = time.perf_counter()
    worker = subprocess.Popen(
        [str(Path(sys.executable).parent / "custodesk"), "worker", "--batch",
         "--no-schedule", "--interval", "0.2"],
        env=os.environ.copy(),
    )  # fmt: skip
    last = -1
    while worker.poll() is None:
        time.sleep(1)
        b = ImportBatch.objects.filter(pk=batch_pk).values(
            "status", "progress_done", "progress_total"
        )[0]
        if b["progress_done"] != last:
            last = b["progress_done"]
            print(f"  {label}: {b['progress_done']:>6} / {b['progress_total']} rows "
                  f"({time.perf_counter() - t0:6.1f} s)", flush=True)  # fmt: skip
    if worker.returncode:
        raise SystemExit(f"worker failed ({worker.returncode})")
    return time.perf_counter() - t0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--db-url", default="postgresql://postgres@127.0.0.1:5432/wp2_bench")
    p.add_argument("--rows", type=int, default=50_000)
    p.add_argument("--format", choices=("xlsx", "csv"), default="xlsx")
    args = p.parse_args()
    _setup(args.db_url)
    from django.utils import timezone

    from custodesk.workorders.imports import services
    from custodesk.workorders.imports.models import ImportBatch
    from custodesk.workorders.models import WorkOrder

    admin = _admin()
    t = time.perf_counter()
    nos = _clients(args.rows)
    content = _file(nos, args.format)
    print(f"set-up: {args.rows} clients and a {len(content) / 1e6:.1f} MB {args.format} file "
          f"in {time.perf_counter() - t:.1f} s", flush=True)  # fmt: skip

    t = time.perf_counter()
    up = services.import_upload(
        actor=admin, name=f"bench.{args.format}", content=content, now=timezone.now()
    )
    upload_s = time.perf_counter() - t
    validate_s = _run_worker_and_poll(up.batch.pk, "validation")
    b = ImportBatch.objects.get(pk=up.batch.pk)
    assert (b.status, b.valid_count) == ("validated", args.rows), (b.status, b.valid_count)
    t = time.perf_counter()
    services.import_confirm(actor=admin, batch_id=b.public_id, now=timezone.now())
    confirm_s = time.perf_counter() - t
    create_s = _run_worker_and_poll(b.pk, "creation")
    b.refresh_from_db()
    orders = WorkOrder.objects.filter(batch_id=b.batch_id, status="submitted").count()
    assert (b.status, b.created_count, orders) == ("done", args.rows, args.rows), (
        b.status, b.created_count, orders,
    )  # fmt: skip
    result = {
        "bench": "workorders_import",
        "db": "postgresql" if args.db_url.startswith("postgres") else "sqlite",
        "format": args.format,
        "rows": args.rows,
        "upload_s": round(upload_s, 2),
        "validate_s": round(validate_s, 1),
        "confirm_s": round(confirm_s, 2),
        "create_s": round(create_s, 1),
        "orders_per_s": round(args.rows / create_s, 1),
        "total_s": round(upload_s + validate_s + confirm_s + create_s, 1),
    }
    print(f"upload {upload_s:.2f} s, validation {validate_s:.1f} s, creation of "
          f"{args.rows} orders {create_s:.1f} s ({result['orders_per_s']}/s)")  # fmt: skip
    print("BENCH_JSON " + json.dumps(result))


if __name__ == "__main__":
    main()
