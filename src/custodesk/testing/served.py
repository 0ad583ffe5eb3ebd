"""``custodesk serve`` as a subprocess for tests: started as ``make run`` starts it (uWSGI,
its own HTTP/1.1 socket), on a free port, with the environment of
:func:`custodesk.testing.fixtures.process_env`."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path


def custodesk_command() -> str:
    return str(Path(sys.executable).parent / "custodesk")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(
    env: dict[str, str], port: int, *, workers: int = 1, threads: int = 2
) -> tuple[subprocess.Popen[str], str]:
    """Start the server and wait (90 s at most) for its "Custodesk is up" line: the
    process and that line.  Its output after the line stays readable from ``stdout``."""
    server = subprocess.Popen(
        [custodesk_command(), "serve", "--port", str(port),
         "--workers", str(workers), "--threads", str(threads)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )  # fmt: skip
    assert server.stdout is not None
    deadline = time.monotonic() + 90
    banner: list[str] = []
    while time.monotonic() < deadline:
        line = server.stdout.readline()
        banner.append(line)
        if "Custodesk is up" in line or server.poll() is not None:
            break
    if "Custodesk is up" not in banner[-1]:
        stop(server)
        raise AssertionError("".join(banner[-20:]))
    return server, banner[-1]


def stop(server: subprocess.Popen[str]) -> int:
    """SIGTERM, and the exit code (SIGKILL to the group after 30 s, then raise)."""
    server.send_signal(signal.SIGTERM)
    try:
        return server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        raise
