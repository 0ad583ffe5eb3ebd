"""``custodesk serve``: the production server (uWSGI) really serves, keeps connections
alive, and stops on SIGTERM.  Runs the command as ``make run`` does, on a fresh SQLite
database in a temporary directory."""

from __future__ import annotations

import http.client
import signal
import subprocess
from pathlib import Path

import pytest

from custodesk.testing import served
from custodesk.testing.fixtures import process_env


@pytest.mark.database_agnostic
def test_serve_answers_over_one_kept_alive_connection_and_stops_on_sigterm(tmp_path: Path):
    env = process_env(tmp_path, "serve-test")
    for setup in (["migrate"], ["collectstatic"]):  # what `make run` does first
        subprocess.run(
            [served.custodesk_command(), *setup, "--noinput", "-v", "0"], env=env, check=True
        )
    port = served.free_port()
    server, banner = served.start(env, port)
    try:
        assert f"http://127.0.0.1:{port}/console/" in banner

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
        code = served.stop(server)
    assert code == 0 or code == -signal.SIGTERM or code == 30  # uWSGI's exit on SIGTERM
