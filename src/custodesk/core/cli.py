"""Helpers for management commands: the CLI's request context and error printing."""

from __future__ import annotations

import getpass
import socket
from collections.abc import Callable
from typing import Any

from django.core.management.base import CommandError

from . import context
from .errors import DomainError, ValidationFailed


def cli_context() -> context.RequestContext:
    try:
        who = getpass.getuser()
    except Exception:
        who = "unknown"
    return context.RequestContext(
        request_id=context.new_request_id(),
        channel="cli",
        ip=None,
        user_agent=f"custodesk-cli {who}@{socket.gethostname()}"[:400],
    )


def run(fn: Callable[..., Any], **kwargs: Any) -> Any:
    """Call one service inside the CLI context; domain errors become CommandError."""
    with context.bind(cli_context()):
        try:
            return fn(**kwargs)
        except ValidationFailed as exc:
            lines = "; ".join(f"{e.field}: {e.message}" for e in exc.errors)
            raise CommandError(f"{exc.code}: {lines}") from None
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.detail or exc.title}") from None
