"""Who is asking, from where: the request context the audit writer reads.

The interfaces set it (middleware for HTTP, the CLI for commands, the worker
for tasks); services never take IP addresses or request ids as arguments.
"""

from __future__ import annotations

import contextlib
import contextvars
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    channel: str  # "console", "api", "cli", "worker", "test"
    ip: str | None = None
    user_agent: str = ""
    device_id: str = ""
    route: str = ""  # "POST /api/v1/..." for HTTP requests: where a refusal happened


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "custodesk_request_context", default=None
)


def current() -> RequestContext:
    ctx = _current.get()
    if ctx is None:
        return RequestContext(request_id=uuid.uuid4().hex, channel="internal")
    return ctx


def new_request_id() -> str:
    return uuid.uuid4().hex


@contextlib.contextmanager
def bind(ctx: RequestContext) -> Iterator[RequestContext]:
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


def set_channel(channel: str) -> None:
    ctx = _current.get()
    if ctx is not None:
        _current.set(replace(ctx, channel=channel))
