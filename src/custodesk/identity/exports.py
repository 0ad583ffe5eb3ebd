"""CSV and XLSX exports of the login-device records and the security events (exactly
what the filters select, newest first)."""

from __future__ import annotations

from collections.abc import Iterable

from django.http import StreamingHttpResponse
from django.utils import timezone

from custodesk.core.exports import tabular_response

from .models import LoginDevice, SecurityEvent

EXPORT_LIMIT = 100_000

LOGIN_DEVICE_COLUMNS = [
    "at",
    "username",
    "result",
    "channel",
    "ip",
    "device_id",
    "user_agent",
]

SECURITY_EVENT_COLUMNS = [
    "at",
    "username",
    "reason",
    "code",
    "detail",
    "channel",
    "route",
    "ip",
    "device_id",
    "user_agent",
    "request_id",
]


def login_devices(rows: Iterable[LoginDevice], fmt: str) -> StreamingHttpResponse:
    return tabular_response(
        LOGIN_DEVICE_COLUMNS,
        (
            [
                timezone.localtime(d.at).isoformat(),
                d.username,
                d.result,
                d.channel,
                d.ip,
                d.device_id,
                d.user_agent,
            ]
            for d in rows
        ),
        fmt,
        "login-devices",
        sheet="login devices",
    )


def security_events(rows: Iterable[SecurityEvent], fmt: str) -> StreamingHttpResponse:
    return tabular_response(
        SECURITY_EVENT_COLUMNS,
        (
            [
                timezone.localtime(e.at).isoformat(),
                e.username,
                e.reason,
                e.code,
                e.detail,
                e.channel,
                e.route,
                e.ip,
                e.device_id,
                e.user_agent,
                e.request_id,
            ]
            for e in rows
        ),
        fmt,
        "security-events",
        sheet="security events",
    )
