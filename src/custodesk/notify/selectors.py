"""The outbox's reads: message records for staff (never a secret: the kept context
only, the text rendered with secrets masked), and the embedded SMS gateway's test
phone."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from custodesk.core import access

from . import catalog
from . import errors as E
from . import permissions as perms
from .models import Message, WebhookEndpoint
from .senders import FileSmsSender, phone_dir

MAX_PAGE = 200


def messages(
    *,
    actor: Any,
    filters: dict[str, Any] | None = None,
    limit: int = 50,
    after: uuid.UUID | None = None,
) -> list[Message]:
    """Message records, newest first.  Keyset: ``after`` = the last id of the previous
    page.  Filters: ``status``, ``channel``, ``template``, ``recipient`` (exact),
    ``date_from``/``date_to`` (the local day it was written)."""
    access.require(actor, perms.VIEW)
    f = filters or {}
    qs = Message.objects.all()
    for key in ("status", "channel", "template", "recipient"):
        if f.get(key):
            qs = qs.filter(**{key: f[key]})
    if f.get("date_from"):
        qs = qs.filter(created_at__gte=_day_start(f["date_from"]))
    if f.get("date_to"):
        qs = qs.filter(created_at__lt=_day_start(f["date_to"] + dt.timedelta(days=1)))
    if after is not None:
        last = Message.objects.filter(public_id=after).values_list("pk", flat=True).first()
        if last is None:
            raise E.MessageNotFound(field="after")
        qs = qs.filter(pk__lt=last)
    return list(qs.order_by("-id")[: max(1, min(limit, MAX_PAGE))])


def message_get(*, actor: Any, public_id: uuid.UUID) -> Message:
    access.require(actor, perms.VIEW)
    msg = Message.objects.filter(public_id=public_id).first()
    if msg is None:
        raise E.MessageNotFound()
    return msg


def message_row(msg: Message, *, now: dt.datetime) -> dict[str, Any]:
    """What staff see of a message (API and console alike)."""
    waiting = msg.status in (Message.Status.PENDING, Message.Status.FAILED)
    return {
        "id": msg.public_id,
        "delivery_id": msg.public_id,
        "channel": msg.channel,
        "channel_label": msg.get_channel_display(),
        "template": msg.template,
        "recipient": msg.recipient,
        "language": msg.language,
        "status": msg.status,
        "status_label": msg.get_status_display(),
        "attempts": msg.attempts,
        "created_at": msg.created_at,
        "last_attempt_at": msg.last_attempt_at,
        "next_attempt_at": msg.next_attempt_at if waiting else None,
        "sent_at": msg.sent_at,
        "gave_up_at": msg.gave_up_at,
        "last_error": msg.last_error,
        "in_delivery": msg.leased_until is not None and msg.leased_until > now,
        "had_secrets": msg.had_secrets,
        "secrets_kept": msg.secret_context is not None,
    }


def message_detail(msg: Message, *, now: dt.datetime) -> dict[str, Any]:
    """The row, the kept context and the text as sent with every secret masked."""
    row = message_row(msg, now=now)
    tpl = catalog.get(msg.template)
    subject = body = ""
    if tpl is not None:
        try:
            text = catalog.render(
                tpl,
                channel=msg.channel,
                language=msg.language,
                context=msg.context,
                secrets=None,
                delivery_id=str(msg.public_id),
                created_at=msg.created_at,
            )
            subject, body = text.subject, text.body
        except (KeyError, ValueError, TypeError):
            body = ""
    secret_names = set(tpl.secrets) if tpl is not None else set()
    context = {k: v for k, v in msg.context.items() if k not in secret_names}
    return {
        **row,
        "context": context,
        "secret_fields": sorted(secret_names),
        "subject": subject,
        "body": body,
        "endpoint_url": msg.endpoint.url if msg.endpoint_id and msg.endpoint else "",
    }


def templates() -> list[catalog.MessageTemplate]:
    return catalog.all_templates()


def endpoints(*, actor: Any) -> list[WebhookEndpoint]:
    access.require(actor, perms.ENDPOINT_MANAGE)
    return list(WebhookEndpoint.objects.order_by("code"))


def phone_enabled() -> bool:
    """The embedded SMS gateway is the configured one (a demo, a developer's machine)."""
    cls = import_string(settings.CUSTODESK_NOTIFY_SENDERS["sms"])
    return isinstance(cls, type) and issubclass(cls, FileSmsSender)


def phone_messages(*, actor: Any, limit: int = 50) -> list[dict[str, str]]:
    """The newest SMS the embedded gateway delivered, as the phone shows them (the text
    as sent: the one-time codes a demo needs).  Not kept in the database."""
    access.require(actor, perms.PHONE_VIEW)
    if not phone_enabled():
        return []
    directory = phone_dir()
    if not directory.is_dir():
        return []
    files = sorted(directory.glob("sms-*.txt"), key=lambda p: p.name, reverse=True)[:limit]
    out = []
    for path in files:
        head, _, body = path.read_text(encoding="utf-8").partition("\n\n")
        fields = dict(line.split(": ", 1) for line in head.splitlines() if ": " in line)
        out.append(
            {
                "to": fields.get("To", ""),
                "delivery_id": fields.get("Delivery", ""),
                "template": fields.get("Template", ""),
                "at": fields.get("At", ""),
                "body": body.strip(),
            }
        )
    return out


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=timezone.get_current_timezone())
