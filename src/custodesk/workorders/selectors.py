"""The work-order centre's reads: the list (filters, counts per kind and per status),
an order with its history, the messages it caused, and a client's message records
(消息記錄) — the outbox's rows, secrets always masked."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from custodesk.brokerage.models import Client
from custodesk.core import access
from custodesk.notify.models import Message
from custodesk.notify.selectors import message_row

from . import kinds as K
from . import permissions as perms
from .errors import OrderNotFound
from .models import WorkOrder, WorkOrderAttachment

MAX_PAGE = 200
CLIENT_MESSAGES = 100


@dataclass
class OrderFilter:
    kind: str = ""
    status: str = ""
    target: str = ""  # a client or account number
    creator: str = ""  # a user name
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    batch_id: uuid.UUID | None = None


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=timezone.get_current_timezone())


def _filtered(f: OrderFilter, *, skip: str = "") -> QuerySet[WorkOrder]:
    qs = WorkOrder.objects.all()
    if f.kind and skip != "kind":
        qs = qs.filter(kind=f.kind)
    if f.status and skip != "status":
        qs = qs.filter(status=f.status)
    if f.target:
        t = f.target.strip()
        qs = qs.filter(Q(client__client_no=t) | Q(targets__account__number=t)).distinct()
    if f.creator:
        qs = qs.filter(creator__username__iexact=f.creator.strip())
    if f.date_from:
        qs = qs.filter(created_at__gte=_day_start(f.date_from))
    if f.date_to:
        qs = qs.filter(created_at__lt=_day_start(f.date_to + dt.timedelta(days=1)))
    if f.batch_id:
        qs = qs.filter(batch_id=f.batch_id)
    return qs


def order_queryset(*, actor: Any, filters: OrderFilter | None = None) -> QuerySet[WorkOrder]:
    """Newest first, with client, creator and approver (the console pages it)."""
    access.require(actor, perms.ORDER_VIEW)
    qs = _filtered(filters or OrderFilter()).select_related("client", "creator", "approved_by")
    return qs.prefetch_related("targets__account").order_by("-created_at", "-id")


def orders(
    *, actor: Any, filters: OrderFilter | None = None, limit: int = 50, offset: int = 0
) -> tuple[int, list[WorkOrder]]:
    """(how many match, the page)."""
    qs = order_queryset(actor=actor, filters=filters)
    limit = max(1, min(limit, MAX_PAGE))
    return qs.count(), list(qs[max(0, offset) : max(0, offset) + limit])


def counts(*, actor: Any, filters: OrderFilter | None = None) -> dict[str, dict[str, int]]:
    """The tabs' counts: per kind (under the status filter) and per status (under the
    kind filter), both under the other filters."""
    access.require(actor, perms.ORDER_VIEW)
    f = filters or OrderFilter()
    by_kind = dict(_filtered(f, skip="kind").values_list("kind").annotate(n=Count("id")).order_by())
    by_status = dict(
        _filtered(f, skip="status").values_list("status").annotate(n=Count("id")).order_by()
    )
    return {
        "kind": {k.code: by_kind.get(k.code, 0) for k in K.all_kinds()},
        "status": {s: by_status.get(s, 0) for s in WorkOrder.Status.values},
    }


def order_get(*, actor: Any, order_id: uuid.UUID | str) -> WorkOrder:
    access.require(actor, perms.ORDER_VIEW)
    try:
        order = (
            WorkOrder.objects.select_related("client", "creator", "approved_by")
            .filter(public_id=order_id)
            .first()
        )
    except (ValueError, TypeError):
        order = None
    if order is None:
        raise OrderNotFound()
    return order


def order_history(order: WorkOrder) -> list[Any]:
    return list(order.history.select_related("actor").order_by("at", "id"))


def order_attachments(order: WorkOrder) -> list[WorkOrderAttachment]:
    return list(order.attachments.defer("content").order_by("uploaded_at", "id"))


def attachment_get(*, actor: Any, order_id: Any, attachment_id: Any) -> WorkOrderAttachment:
    order = order_get(actor=actor, order_id=order_id)
    try:
        a = order.attachments.filter(public_id=attachment_id).first()
    except (ValueError, TypeError):
        a = None
    if a is None:
        raise OrderNotFound(object="attachment")
    return a


def _rows(msgs: Any, now: dt.datetime) -> list[dict[str, Any]]:
    return [message_row(m, now=now) for m in msgs]


def order_messages(*, order: WorkOrder, now: dt.datetime) -> list[dict[str, Any]]:
    """The outbox messages the order caused with their delivery status (no text)."""
    ids = list(order.messages.order_by("created_at", "id").values_list("message_id", flat=True))
    found = {m.public_id: m for m in Message.objects.filter(public_id__in=ids)}
    return _rows([found[i] for i in ids if i in found], now)


def client_messages(*, actor: Any, client: Client, now: dt.datetime) -> list[dict[str, Any]]:
    """The client's message records (消息記錄): the outbox's messages to its phone or
    e-mail, newest first — status, template, times; never a secret."""
    access.require(actor, perms.ORDER_VIEW)
    recipients = [r for r in (client.phone, (client.email or "").lower()) if r]
    if not recipients:
        return []
    qs = Message.objects.filter(recipient__in=recipients).order_by("-id")[:CLIENT_MESSAGES]
    return _rows(qs, now)


def client_by_number(number: str) -> Client | None:
    return Client.objects.filter(client_no=(number or "").strip()).first()
