"""Work-order test tools: a second administrator (the checker), clients with accounts
built through the brokerage services, and a real SMTP server on loopback."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from custodesk.brokerage.models import Account, Client
from custodesk.testing import brokerage as tb


@pytest.fixture
def checker(make_user: Any) -> Any:
    """A second administrator: approves what ``admin`` creates."""
    return make_user("checker", roles=["admin"])


@pytest.fixture
def make_client(
    admin: Any, checker: Any, clock: Any
) -> Callable[..., tuple[Client, list[Account]]]:
    """make_client(accounts=1, **client fields) -> (client, [accounts])."""

    def make(accounts: int = 1, **fields: Any) -> tuple[Client, list[Account]]:
        c = tb.individual(admin, now=clock.now(), **fields)
        opened = [tb.open_account(admin, checker, c, now=clock.now()) for _ in range(accounts)]
        return c, opened

    return make


class SmtpInbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 OK"


@pytest.fixture
def smtp(settings: Any) -> Iterator[SmtpInbox]:
    """A running SMTP server (aiosmtpd) on a loopback port, Django's SMTP backend on it."""
    from aiosmtpd.controller import Controller

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    inbox = SmtpInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS, settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = False, "", ""
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture(autouse=True)
def _own_var(settings: Any, tmp_path: Any) -> None:
    """Each test its own var directory (the embedded SMS gateway's files)."""
    settings.VAR_DIR = tmp_path / "var"
