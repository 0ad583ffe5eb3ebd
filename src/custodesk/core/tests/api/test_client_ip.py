"""The client's address on every request: ``custodesk serve`` (uWSGI's HTTP/1.1 socket)
on a kept-alive connection, and ``X-Forwarded-For`` only from trusted proxies."""

from __future__ import annotations

import http.client
import json
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest

from custodesk.identity.models import LoginDevice
from custodesk.testing import served
from custodesk.testing.fixtures import PASSWORD, process_env


@pytest.mark.database_agnostic
def test_three_sign_ins_on_one_kept_alive_connection_are_recorded_with_the_peer_address(
    tmp_path: Path,
):
    env = process_env(tmp_path, "client-ip-test")
    subprocess.run(
        [served.custodesk_command(), "init", "--username", "ops", "--password", PASSWORD],
        env=env,
        check=True,
        capture_output=True,
    )
    port = served.free_port()
    server, _banner = served.start(env, port)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        body = json.dumps({"username": "ops", "password": PASSWORD})
        local_ports = set()
        for _ in range(3):
            conn.request(
                "POST",
                "/api/v1/auth/sign-in",
                body=body,
                headers={"Content-Type": "application/json", "X-Forwarded-For": "203.0.113.9"},
            )
            answer = conn.getresponse()
            assert answer.status == 200, answer.read()
            answer.read()
            assert conn.sock is not None, "the server closed the kept-alive connection"
            local_ports.add(conn.sock.getsockname()[1])
        # a last request on the connection: its answer comes after the worker has
        # logged the third sign-in (uWSGI logs a request once its answer is sent)
        conn.request("GET", "/healthz")
        conn.getresponse().read()
        conn.close()
        assert len(local_ports) == 1  # one TCP connection for the three sign-ins
    finally:
        served.stop(server)
    # what the server recorded, read from its own database
    with sqlite3.connect(tmp_path / "custodesk.db") as db:
        devices = db.execute("SELECT result, ip FROM identity_logindevice ORDER BY id").fetchall()
        sessions = db.execute("SELECT ip FROM identity_usersession ORDER BY id").fetchall()
    assert devices == [("success", "127.0.0.1")] * 3
    assert sessions == [("127.0.0.1",)] * 3
    # and the access log names the peer on every line (not uWSGI's 0.0.0.0)
    assert server.stdout is not None
    log = [ln for ln in server.stdout.read().splitlines() if "/api/v1/auth/sign-in" in ln]
    assert len(log) == 3 and all(ln.startswith("127.0.0.1 - ") for ln in log), log


# -- trusted proxies --------------------------------------------------------------------
def _sign_in_from(api: Any, forwarded: str | None) -> str:
    headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
    answer = api.post(
        "/auth/sign-in", json={"username": "admin", "password": PASSWORD}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    device = LoginDevice.objects.order_by("-id").first()
    assert device is not None
    return device.ip


@pytest.mark.parametrize(
    ("proxies", "forwarded", "recorded"),
    [
        (0, "203.0.113.9", "127.0.0.1"),  # no proxy trusted: the header is ignored
        (1, None, "127.0.0.1"),  # no header: the peer
        (1, "203.0.113.9", "203.0.113.9"),  # the one proxy's entry
        (1, "198.51.100.66, 203.0.113.9", "203.0.113.9"),  # the client's own entry ignored
        (2, "198.51.100.66, 203.0.113.9, 10.0.0.2", "203.0.113.9"),  # two proxies
        (2, "203.0.113.9", "127.0.0.1"),  # fewer entries than proxies: the peer
        (1, "not-an-address", "127.0.0.1"),  # garbage is not an address
        (1, "::ffff:203.0.113.9", "203.0.113.9"),
    ],
)
def test_x_forwarded_for_is_read_only_from_the_trusted_proxies(
    admin: Any, api_client: Any, settings: Any, proxies: int, forwarded: str | None, recorded: str
):
    settings.CUSTODESK_TRUSTED_PROXIES = proxies
    assert _sign_in_from(api_client(), forwarded) == recorded
