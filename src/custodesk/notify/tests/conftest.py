"""Outbox test tools: enqueue inside a transaction (as a caller's service does), a real
SMTP server (aiosmtpd) and a real webhook receiver that verifies signatures and
deduplicates by delivery id, both on loopback."""

from __future__ import annotations

import email
import email.policy
import hashlib
import hmac
import socket
import threading
from collections.abc import Callable, Iterator
from email.message import Message as EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.db import transaction

from custodesk.notify import services

SECRET = "whsec-" + "k" * 40


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(autouse=True)
def _own_test_phone(settings: Any, tmp_path: Any) -> None:
    """Each test its own var/outbox (the embedded SMS gateway's files)."""
    settings.VAR_DIR = tmp_path / "var"


@pytest.fixture
def enqueue(clock: Any) -> Callable[..., Any]:
    """enqueue(channel=..., template=..., recipient=..., ...) in its own transaction."""

    def run(**kw: Any) -> Any:
        with transaction.atomic():
            return services.enqueue(now=clock.now(), **kw)

    return run


@pytest.fixture
def deliver(clock: Any) -> Callable[[], dict[str, int]]:
    return lambda: services.deliver_due(clock=clock)


class SmtpInbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 OK"


class SmtpServer:
    """aiosmtpd on a fixed loopback port, started and stopped by the test."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.inbox = SmtpInbox()
        self.controller: Any = None

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp(settings: Any) -> Iterator[SmtpServer]:
    """Django's SMTP backend pointed at a loopback port; the server is *not* started."""
    server = SmtpServer(free_port())
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    yield server
    server.stop()


class Receiver(ThreadingHTTPServer):
    """A webhook receiver as a market would run it: checks the signature (401 if
    wrong), answers 500 to the first ``fail_first`` requests, processes each delivery
    id once and acknowledges duplicates.  ``block_first``: the first request is
    processed and then held until ``release`` is set (a sender killed meanwhile)."""

    daemon_threads = True

    def __init__(self, *, secret: str = SECRET, fail_first: int = 0, block_first: bool = False):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.secret = secret
        self.fail_first = fail_first
        self.block_first = block_first
        self.received: list[dict[str, Any]] = []
        self.processed: dict[str, list[bytes]] = {}
        self.arrived = threading.Event()
        self.release = threading.Event()
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hooks/custodesk"

    def valid(self, header: str, body: bytes) -> bool:
        parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
        mac = hmac.new(self.secret.encode(), parts.get("t", "").encode() + b"." + body,
                       hashlib.sha256).hexdigest()  # fmt: skip
        return hmac.compare_digest(mac, parts.get("v1", ""))


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def log_message(self, *args: Any) -> None:
        return

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        delivery = self.headers.get("X-Custodesk-Delivery", "")
        signature = self.headers.get("X-Custodesk-Signature", "")
        with self.server.lock:
            n = len(self.server.received) + 1
            ok = self.server.valid(signature, body)
            self.server.received.append({"delivery": delivery, "valid": ok, "body": body})
            if not ok:
                status = 401
            elif n <= self.server.fail_first:
                status = 500
            else:
                status = 200
                if delivery not in self.server.processed:  # deduplicate by delivery id
                    self.server.processed[delivery] = []
                    self.server.processed[delivery].append(body)
        if n == 1 and self.server.block_first:
            self.server.arrived.set()
            self.server.release.wait(120)
        try:
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()
        except OSError:
            pass  # the sender is gone


@pytest.fixture
def receiver() -> Iterator[Callable[..., Receiver]]:
    started: list[Receiver] = []

    def start(**kw: Any) -> Receiver:
        server = Receiver(**kw)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.release.set()
        server.shutdown()
        server.server_close()


@pytest.fixture
def endpoint(admin: Any, clock: Any) -> Callable[..., Any]:
    def make(url: str, code: str = "hkex", secret: str = SECRET) -> Any:
        return services.endpoint_save(
            actor=admin, code=code, url=url, secret=secret, now=clock.now()
        )

    return make
