"""What staff see of a work order (API and console alike): never a secret — an order
holds none, and its messages are the outbox's rows with secrets masked."""

from __future__ import annotations

import datetime as dt
from typing import Any

from . import kinds as K
from . import selectors
from .models import WorkOrder


def kind_label(code: str) -> str:
    k = K.get(code)
    return str(k.label) if k else code


def field_rows(order: WorkOrder) -> list[dict[str, Any]]:
    """The kind's form values with their labels (choices shown by their label)."""
    k = K.get(order.kind)
    rows = []
    for f in k.fields if k else ():
        value = order.fields.get(f.name)
        if f.type == "choice":
            value = str(dict(f.choices).get(value, value or ""))
        elif f.type == "emails":
            value = ", ".join(value or [])
        rows.append({"name": f.name, "label": str(f.label), "type": f.type, "value": value})
    return rows


def order_row(order: WorkOrder) -> dict[str, Any]:
    return {
        "id": order.public_id,
        "number": order.number,
        "kind": order.kind,
        "kind_label": kind_label(order.kind),
        "client_no": order.client.client_no,
        "client_name": order.client.name_en,
        "accounts": sorted(t.account.number for t in order.targets.all()),  # prefetched
        "reason": order.reason,
        "status": order.status,
        "status_label": order.get_status_display(),
        "channel": order.channel,
        "batch_id": order.batch_id,
        "creator": order.creator.username,
        "created_at": order.created_at,
        "approved_by": order.approved_by.username if order.approved_by else None,
        "approved_at": order.approved_at,
        "executed_at": order.executed_at,
        "reject_reason": order.reject_reason,
        "failure_reason": order.failure_reason,
        "approval_request_id": order.approval_request_id,
    }


def order_detail(order: WorkOrder, *, now: dt.datetime) -> dict[str, Any]:
    return {
        **order_row(order),
        "fields": order.fields,
        "field_rows": field_rows(order),
        "result": order.result,
        "history": [
            {
                "at": h.at,
                "action": h.action,
                "actor": h.actor.username if h.actor else None,
                "from_status": h.from_status,
                "to_status": h.to_status,
                "comment": h.comment,
            }
            for h in selectors.order_history(order)
        ],
        "attachments": [
            {
                "id": a.public_id,
                "name": a.name,
                "content_type": a.content_type,
                "size": a.size,
                "sha256": a.sha256,
            }
            for a in selectors.order_attachments(order)
        ],
        "messages": selectors.order_messages(order=order, now=now),
    }


def kind_row(k: K.Kind) -> dict[str, Any]:
    return {
        "code": k.code,
        "label": str(k.label),
        "group": k.group,
        "target": k.target,
        "reason_required": k.reason_required and not k.data_change,
        "remark_or_attachment": k.data_change,
        "help": str(k.help),
        "fields": [
            {
                "name": f.name,
                "label": str(f.label),
                "type": f.type,
                "required": f.required,
                "choices": [{"value": v, "label": str(label)} for v, label in f.choices],
            }
            for f in k.fields
        ],
    }
