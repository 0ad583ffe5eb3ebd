"""``custodesk serve``: the production server (uWSGI) really serves, keeps connections
alive, and stops on SIGTERM.  Runs the command as ``make run`` does, on a fresh SQLite
database in a temporary directory."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from custodesk.testing.fixtures import process_env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_answers_over_one_kept_alive_connection_and_stops_on_sigterm(tmp_path: Path):
    env = process_env(tmp_path, "serve-test")
    custodesk = str(Path(sys.executable).parent / "custodesk")
    for setup in (["migrate"], ["collectstatic"]):  # what `make run` does first
        subprocess.run([custodesk, *setup, "--noinput", "-v", "0"], env=env, check=True)
    port = _free_port()
    server = subprocess.Popen(
        [custodesk, "serve", "--port", str(port), "--workers", "1", "--threads", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        assert server.stdout is not None
        deadline = time.monotonic() + 90
        banner = []
        while time.monotonic() < deadline:
            line = server.stdout.readline()
            banner.append(line)
            if "Custodesk is up" in line or server.poll() is not None:
                break
        assert "Custodesk is up" in banner[-1], "".join(banner[-20:])
        assert f"http://127.0.0.1:{port}/console/" in banner[-1]

        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        answers = []
        for method, path, body, headers in [
            ("GET", "/healthz", None, {}),
            ("GET", "/readyz", None, {}),
            ("POST", "/api/v1/ledger/transfers", b"{}", {"Content-Type": "application/json"}),
            ("GET", "/console/sign-in/", None, {"Accept-Language": "zh-Hant"}),
        ]:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            answers.append((path, response.status, response.getheader("Content-Length")))
            payload = response.read()
            assert response.getheader("Transfer-Encoding") is None  # whole answers
            assert int(response.getheader("Content-Length") or -1) == len(payload)
            # one TCP connection for all four requests
            assert conn.sock is not None, f"the server closed the connection after {path}"
        conn.close()
        assert [(p, s) for p, s, _ in answers] == [
            ("/healthz", 200),
            ("/readyz", 200),
            ("/api/v1/ledger/transfers", 401),
            ("/console/sign-in/", 200),
        ]
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            code = server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            raise
    assert code == 0 or code == -signal.SIGTERM or code == 30  # uWSGI's exit on SIGTERM
