"""Single transfers through the HTTP API: POST /api/v1/ledger/transfers under uWSGI.

    python bench/bench_http.py --workers 1,4,8,16 --server-workers 2 --server-threads 2

Starts ``custodesk serve --workers W --threads T`` on 127.0.0.1 (a free port),
signs in as the benchmark admin (bench/seed.py --admin creates it), probes the
endpoint, then posts random-pair transfers between the 10,000 member accounts (by
code) over N keep-alive connections, each with its own bearer token.  Only ever
talks to 127.0.0.1.

The load generator (``--client``): ``wrk`` (default; C, like pgbench — installed from
Debian when missing) runs N connections on N threads with a Lua script that builds
each request and classifies each answer; ``python`` runs N processes with
``http.client`` (about 0.4 ms of client CPU per request on this machine, which the
server then does not get).

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
import shutil
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
            # the usual keep-alive race: the server closed the idle connection (the server's
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


WRK_SCRIPT = r"""
-- bench_http.py's load: one connection per thread, each with its own bearer token
local threads = {}
local counter = 0
local refusals = {exceeds_credits = true, exceeds_debits = true, account_closed = true,
                  account_debit_frozen = true, account_credit_frozen = true}

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

function init(args)
  members = tonumber(args[1])
  prefix = args[2]
  token = args[2 + tid]
  math.randomseed(tid * 7919 + (tonumber(args[#args]) or 1))
  booked, refused, failed = 0, 0, 0
  headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}
end

function request()
  local d = math.random(0, members - 1)
  local c = math.random(0, members - 2)
  if c >= d then c = c + 1 end
  local cents = math.random(1, 100000)
  local body = string.format(
    '{"debit_account": "%s%05d", "credit_account": "%s%05d", "amount": "%d.%02d", ' ..
    '"currency": "HKD"}', prefix, d, prefix, c, math.floor(cents / 100), cents % 100)
  return wrk.format("POST", "/api/v1/ledger/transfers", headers, body)
end

function response(status, hdrs, body)
  if status == 201 or status == 200 then
    booked = booked + 1
  else
    local code = body and string.match(body, '"code":%s*"([%w_]+)"')
    if code and refusals[code] then refused = refused + 1 else failed = failed + 1 end
  end
end

function done(summary, latency, requests)
  local b, r, f = 0, 0, 0
  for _, t in ipairs(threads) do
    b = b + t:get("booked"); r = r + t:get("refused"); f = f + t:get("failed")
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"mean_us": %.1f, "booked": %d, "refused": %d, "failed": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.mean, b, r, f, e.connect + e.read + e.write + e.timeout))
end
"""


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    print("== installing wrk (Debian package) for the HTTP load", flush=True)
    subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", "wrk"], check=False,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is missing and could not be installed; use --client python")
    return found


def run_wrk(
    wrk: str, port: int, n: int, cfg: dict[str, Any], server: subprocess.Popen[bytes]
) -> dict[str, Any]:
    """One point with wrk: warm-up run, then the measured run; the same result fields as
    common.run_pool (plus the server's CPU per request)."""
    tokens = [sign_in(port) for _ in range(n)]
    script = common.ROOT / "var" / "bench" / "http_load.lua"
    script.write_text(WRK_SCRIPT)
    url = f"http://{HOST}:{port}"

    def wrk_run(seconds: float, seed: int) -> tuple[dict[str, Any], str]:
        cmd = [
            wrk, "-t", str(n), "-c", str(n), "-d", f"{max(1, round(seconds))}s", "--timeout", "30s",
            "-s", str(script), url, "--", str(common.MEMBERS), common.MEMBER_PREFIX, *tokens,
            str(seed),
        ]  # fmt: skip
        out = subprocess.run(cmd, capture_output=True, text=True, check=False)
        for line in out.stdout.splitlines():
            if line.startswith("WRK_JSON "):
                return json.loads(line[9:]), " ".join(cmd[:9])
        raise SystemExit(f"wrk failed: {out.stdout[-500:]} {out.stderr[-500:]}")

    quiet = common.quiet_check()
    wrk_run(cfg["warmup"], cfg["seed"])
    m0 = common.machine_sample()
    c0 = tree_cpu(server.pid)
    r, command = wrk_run(cfg["duration"], cfg["seed"] + 1)
    c1 = tree_cpu(server.pid)
    m1 = common.machine_sample()
    secs = r["duration_us"] / 1e6
    done = r["booked"] + r["refused"]
    return {
        "bench": "http_single", "backend": "postgresql", "workers": n, "status": "ok",
        "client": "wrk", "command": command + " … (bench/bench_http.py writes the script)",
        "duration_s": round(secs, 2), "warmup_s": cfg["warmup"], "ops": r["requests"],
        "ops_per_s": round(r["requests"] / secs, 2),
        "transfers_per_s": round(r["booked"] / secs, 1),
        "p50_ms": r["p50_us"] / 1000, "p99_ms": r["p99_us"] / 1000,
        "mean_ms": round(r["mean_us"] / 1000, 3),
        "refusal_rate": r["refused"] / done if done else 0.0,
        "errors": r["failed"] + r["socket_errors"],
        "server_cpu_ms_per_request": round((c1 - c0) / max(1, r["requests"]) * 1000, 2),
        "other_load": common.other_load(m0, m1), "steal": 0.0, **quiet,
    }  # fmt: skip


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
    ap.add_argument("--server-workers", type=int, default=2, help="uWSGI worker processes")
    ap.add_argument("--server-threads", type=int, default=2, help="threads per uWSGI worker")
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--client", choices=["wrk", "python"], default="wrk")
    ap.add_argument(
        "--adjacent-pgbench",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="run pgbench at the same client count just before each point (default on)",
    )
    args = ap.parse_args()
    port = free_port(args.port)
    log = common.ROOT / "var" / "bench" / "server.log"
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
        wrk = ensure_wrk() if args.client == "wrk" else None
        for n in workers:
            if args.adjacent_pgbench:
                # pgbench at the same client count just before this point: this machine
                # changes speed from minute to minute, so the run's pgbench point (minutes
                # earlier) may have met another machine than this one
                import bench_pgbench

                b = bench_pgbench.run_point(n, args.duration, args.warmup)
                b["bench"] = "pgbench_tpcb_before_http"
                common.emit(b, common.fmt(b))
            if wrk is not None:
                r = run_wrk(wrk, port, n, cfg, proc)
                r["server"] = (
                    f"uWSGI {args.server_workers} processes x {args.server_threads} threads"
                )
                common.emit(
                    r, common.fmt(r) + f"  server CPU/request {r['server_cpu_ms_per_request']} ms"
                )
                continue
            r = common.run_pool(
                worker,
                n,
                cfg,
                bench="http_single",
                backend="postgresql",
                probe=lambda: tree_cpu(proc.pid),
            )
            r["server"] = f"uWSGI {args.server_workers} processes x {args.server_threads} threads"
            delta = r.pop("probe_delta", None)
            if r.get("status") == "ok" and delta is not None and r["transfers_per_s"]:
                # CPU of the server processes inside the measured window, per request
                per = delta / (r["ops_per_s"] * r["duration_s"]) * 1000
                r["server_cpu_ms_per_request"] = round(per, 2)
            cpu = r.get("server_cpu_ms_per_request")
            common.emit(r, common.fmt(r) + f"  server CPU/request {cpu} ms")
    finally:
        stop_server(proc)


if __name__ == "__main__":
    main()
