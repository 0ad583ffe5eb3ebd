"""Where the CPU of one HTTP transfer request goes, in-process (one process, no server).

    python bench/profile_http.py --requests 300

Drives ``POST /api/v1/ledger/transfers`` through ``custodesk.config.wsgi.application``
(what the server calls: Django's WSGI handler) against the benchmark database, random
pairs among the 10,000 member accounts.  Reports CPU per request (``time.process_time``),
the SQL statements per request, and the inclusive time of the request's main steps from
cProfile.
The HTTP benchmark (bench_http.py) reports the server's CPU per request too.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common

PATH = "/api/v1/ledger/transfers"
STEPS = (
    # (label, filename fragment, function name) — inclusive (cumulative) time
    ("whole request (Django's WSGI handler)", "django/core/handlers/wsgi.py", "__call__"),
    ("django-ninja operation (auth, parse, view, response)", "ninja/operation.py", "run"),
    ("bearer auth: session + user lookup", "custodesk/identity/apiauth.py", "authenticate"),
    ("account code → id (per-process cache misses)", "custodesk/ledger/api.py", "_spec"),
    ("permission check (access.require)", "custodesk/core/access.py", "require"),
    ("services.book_one (the service path)", "custodesk/ledger/services.py", "book_one"),
    (
        "  of which the one-round-trip booking (ledger_book_one)",
        "custodesk/ledger/engine/fast_path.py",
        "book_one",
    ),
    ("  of which load_transfers (re-read)", "custodesk/ledger/services.py", "load_transfers"),
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=300)
    args = ap.parse_args()
    common.configure("postgresql")
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    r = client.post(
        "/api/v1/auth/sign-in",
        data={"username": common.ADMIN_USERNAME, "password": common.ADMIN_PASSWORD},
        content_type="application/json",
    )
    if r.status_code != 200:
        raise SystemExit(f"sign-in failed: {r.status_code}")
    token = r.json()["token"]
    from custodesk.config.wsgi import application as handler  # what the server calls

    rng = random.Random(11)

    def post() -> int:
        d, c = rng.sample(range(common.MEMBERS), 2)
        raw = json.dumps(
            {
                "debit_account": f"{common.MEMBER_PREFIX}{d:05d}",
                "credit_account": f"{common.MEMBER_PREFIX}{c:05d}",
                "amount": f"{rng.randint(1, 999)}.{rng.randint(0, 99):02d}",
                "currency": "HKD",
            }
        ).encode()
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": PATH,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "127.0.0.1:8000",
            "REMOTE_ADDR": "127.0.0.1",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(raw)),
            "HTTP_AUTHORIZATION": f"Bearer {token}",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(raw),
            "wsgi.errors": sys.stderr,
        }
        status: list[str] = []
        b"".join(handler(environ, lambda s, h, *a: status.append(s)))
        return int(status[0].split()[0])

    status = post()
    if status not in (200, 201):
        common.emit(
            {"bench": "profile_http", "status": f"endpoint answered {status}"},
            f"HTTP profile: POST {PATH} -> {status}; skipped",
        )
        return
    for _ in range(30):
        post()
    # statements on the server-side-binding cursor (custodesk.core.sql: the prepared
    # session lookup and booking call) bypass Django's query log: counted here
    import psycopg

    direct: list[str] = []
    orig_cursor_execute = psycopg.Cursor.execute

    def cursor_execute(self: Any, query: Any, params: Any = None, **kw: Any) -> Any:
        if not isinstance(self, psycopg.ClientCursor):
            label = " ".join(str(query).split()[:4])[:48]
            direct.append(label + (" (prepared)" if kw.get("prepare") else ""))
        return orig_cursor_execute(self, query, params, **kw)

    psycopg.Cursor.execute = cursor_execute  # type: ignore[method-assign]
    with CaptureQueriesContext(connection) as q:
        post()
    psycopg.Cursor.execute = orig_cursor_execute  # type: ignore[method-assign]
    statements = [" ".join(x["sql"].split()[:3])[:40] for x in q.captured_queries] + direct
    n = args.requests
    c0, t0 = time.process_time(), time.perf_counter()
    for _ in range(n):
        post()
    cpu = (time.process_time() - c0) / n * 1000
    wall = (time.perf_counter() - t0) / n * 1000
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(n):
        post()
    prof.disable()
    raw = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    wait = sum(v[2] for k, v in raw.items() if "psycopg" in k[0] and k[2] == "wait")
    steps: dict[str, float] = {}
    for label, frag, name in STEPS:
        ct = sum(v[3] for k, v in raw.items() if frag in k[0] and k[2] == name)
        steps[label] = ct
    whole = steps[STEPS[0][0]] or 1.0
    print(f"HTTP transfer request in-process: {cpu:.2f} ms CPU, {wall:.2f} ms wall per request")
    print(f"  {len(statements)} SQL statements per request (BEGIN/COMMIT included):")
    for s in statements:
        print(f"    {s}")
    print(
        "  inclusive time by step (cProfile; share of the whole request, waits for PostgreSQL"
        f" included: {wait / whole:.0%} of it), scaled to the un-profiled {wall:.2f} ms:"
    )
    shares = {}
    for label, ct in steps.items():
        shares[label] = ct / whole
        print(f"    {shares[label]:6.1%}  ≈{shares[label] * wall:6.2f} ms  {label}")
    common.emit(
        {
            "bench": "profile_http",
            "backend": "postgresql",
            "status": "ok",
            "cpu_ms_per_request": round(cpu, 3),
            "wall_ms_per_request": round(wall, 3),
            "statements": statements,
            "step_share": {k: round(v, 4) for k, v in shares.items()},
            "wait_share": round(wait / whole, 4),
        },
        f"profile_http: {cpu:.2f} ms CPU per request, {len(statements)} statements",
    )


if __name__ == "__main__":
    main()
