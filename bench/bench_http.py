"""Single transfers through the HTTP API: POST /api/v1/ledger/transfers under gunicorn.

    python bench/bench_http.py --workers 1,4,8,16 --server-workers 4

Starts ``custodesk serve --workers W --threads T`` on 127.0.0.1 (a free port),
signs in as the benchmark admin (bench/seed.py --admin creates it), probes the
endpoint, then runs N client processes, each with its own bearer token and one
keep-alive ``http.client`` connection, posting random-pair transfers between the
10,000 member accounts (by code).  Only ever talks to 127.0.0.1.

If the endpoint is not routed yet (404 that is not a problem+json answer, or
405), prints "HTTP: endpoint not available yet" and records that status instead
of a number.  The server is stopped at the end (SIGTERM to the process this
script started, then its process group if needed).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common

HOST = "127.0.0.1"  # never anything else
PATH = "/api/v1/ledger/transfers"
SIGN_IN = "/api/v1/auth/sign-in"
REFUSALS = {
    "exceeds_credits",
    "exceeds_debits",
    "account_closed",
    "account_debit_frozen",
    "account_credit_frozen",
}


def _post(
    conn: http.client.HTTPConnection, path: str, body: dict[str, Any], token: str | None = None
) -> tuple[int, str, bytes]:
    headers = {"Content-Type": "application/json", "Connection": "keep-alive"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request("POST", path, body=json.dumps(body), headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    return resp.status, resp.getheader("Content-Type") or "", data


def sign_in(port: int) -> str:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        status, _ctype, data = _post(
            conn,
            SIGN_IN,
            {"username": common.ADMIN_USERNAME, "password": common.ADMIN_PASSWORD},
        )
    finally:
        conn.close()
    if status != 200:
        raise SystemExit(f"sign-in failed: HTTP {status} {data[:300]!r}")
    return json.loads(data)["token"]


def _code(i: int) -> str:
    return f"{common.MEMBER_PREFIX}{i:05d}"


def _body(rng: random.Random) -> dict[str, Any]:
    d, c = rng.sample(range(common.MEMBERS), 2)
    cents = rng.randint(1, 100_000)
    return {
        "debit_account": _code(d),
        "credit_account": _code(c),
        "amount": f"{cents // 100}.{cents % 100:02d}",
        "currency": "HKD",
    }


def classify(status: int, ctype: str, data: bytes) -> str:
    """booked | refused | missing | error"""
    if status in (200, 201):
        return "booked"
    problem = "problem+json" in ctype
    if status == 405 or (status == 404 and not problem):
        return "missing"
    if problem:
        try:
            code = json.loads(data).get("code", "")
        except ValueError:
            code = ""
        if code in REFUSALS:
            return "refused"
    return "error"


def worker(index: int, cfg: dict[str, Any]) -> Callable[[], tuple[int, int]]:
    port = cfg["port"]
    token = sign_in(port)
    rng = random.Random(cfg["seed"] * 1000 + index)
    state: dict[str, Any] = {"conn": http.client.HTTPConnection(HOST, port, timeout=30)}

    def op() -> tuple[int, int]:
        body = _body(rng)
        try:
            status, ctype, data = _post(state["conn"], PATH, body, token)
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            # the usual keep-alive race: the server closed the idle connection (gunicorn's
            # keepalive is 2 s) before reading this request; reconnect and send it once more
            state["conn"].close()
            state["conn"] = http.client.HTTPConnection(HOST, port, timeout=30)
            status, ctype, data = _post(state["conn"], PATH, body, token)
        except (http.client.HTTPException, OSError):
            state["conn"].close()
            state["conn"] = http.client.HTTPConnection(HOST, port, timeout=30)
            raise
        kind = classify(status, ctype, data)
        if kind == "booked":
            return 1, 0
        if kind == "refused":
            return 0, 1
        raise RuntimeError(f"HTTP {status}: {data[:200]!r}")

    op()  # warm the connection (and the server worker) before the start
    return op


def tree_cpu(root: int) -> float:
    """CPU seconds used so far by ``root`` and its descendants (the server we started)."""
    procs: dict[int, tuple[int, float]] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            f = (d / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        procs[int(d.name)] = (int(f[1]), (int(f[11]) + int(f[12])) / tick)
    members = {root}
    changed = True
    while changed:
        changed = False
        for pid, (ppid, _cpu) in procs.items():
            if ppid in members and pid not in members:
                members.add(pid)
                changed = True
    return sum(procs[p][1] for p in members if p in procs)


def free_port(preferred: int) -> int:
    for port in [preferred, 0]:
        with socket.socket() as s:
            try:
                s.bind((HOST, port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise SystemExit("no free port")


def start_server(port: int, workers: int, threads: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "custodesk.config.settings",
        "CUSTODESK_DATABASE_URL": common.PG_URL,
        "CUSTODESK_SECRET_KEY": os.environ.get("CUSTODESK_SECRET_KEY", "bench"),
        "CUSTODESK_LOG_LEVEL": "WARNING",
    }
    env.pop("CUSTODESK_DEBUG", None)
    cmd = [
        str(common.ROOT / ".venv" / "bin" / "custodesk"),
        "serve",
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--threads",
        str(threads),
    ]
    fh = log.open("wb")
    proc = subprocess.Popen(
        cmd, env=env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}; see {log}")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return proc
        except OSError:
            time.sleep(0.2)
    stop_server(proc)
    raise SystemExit(f"server did not answer /healthz within 60 s; see {log}")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the session this script started
            proc.wait(timeout=10)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    common.common_args(ap)
    ap.add_argument("--server-workers", type=int, default=4, help="gunicorn worker processes")
    ap.add_argument("--server-threads", type=int, default=4, help="threads per gunicorn worker")
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    port = free_port(args.port)
    log = common.ROOT / "var" / "bench" / "gunicorn.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    proc = start_server(port, args.server_workers, args.server_threads, log)
    try:
        token = sign_in(port)
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        status, ctype, data = _post(conn, PATH, _body(random.Random(0)), token)
        conn.close()
        kind = classify(status, ctype, data)
        workers = common.parse_workers(args.workers)
        if kind == "missing":
            for n in workers:
                common.emit(
                    {
                        "bench": "http_single",
                        "backend": "postgresql",
                        "workers": n,
                        "status": "endpoint_not_available",
                        "probe": f"POST {PATH} -> HTTP {status}",
                    },
                    f"HTTP: endpoint not available yet (POST {PATH} -> {status}), workers={n}",
                )
            return
        if kind == "error":
            raise SystemExit(f"probe POST {PATH} failed: HTTP {status} {data[:300]!r}")
        cfg = {
            "port": port,
            "seed": args.seed,
            "warmup": args.warmup,
            "duration": args.duration,
        }
        for n in workers:
            r = common.run_pool(
                worker,
                n,
                cfg,
                bench="http_single",
                backend="postgresql",
                probe=lambda: tree_cpu(proc.pid),
            )
            r["server"] = f"gunicorn {args.server_workers} workers x {args.server_threads} threads"
            delta = r.pop("probe_delta", None)
            if r.get("status") == "ok" and delta is not None and r["transfers_per_s"]:
                # CPU of the gunicorn processes inside the measured window, per request
                per = delta / (r["ops_per_s"] * r["duration_s"]) * 1000
                r["server_cpu_ms_per_request"] = round(per, 2)
            cpu = r.get("server_cpu_ms_per_request")
            common.emit(r, common.fmt(r) + f"  server CPU/request {cpu} ms")
    finally:
        stop_server(proc)


if __name__ == "__main__":
    main()
