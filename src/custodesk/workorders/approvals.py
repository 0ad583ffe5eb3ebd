"""Each kind of work order is an approvable action ``workorders.<kind>`` of the approval
engine (custodesk.approvals.registry), with the payload ``{order_id}``.

* check — the order is a draft (submission) or pending (approval) and its target's
  state allows the kind; the dedup key is the kind and the target, so one target has
  one pending order of a kind at a time;
* execute — the order is approved (and, for in-transaction kinds, executed) in the
  approving transaction (``services.on_approved``);
* on_reject — rejected, withdrawn or expired: the order ends rejected or cancelled.

No flow configured: the kind's default (freezing a client: always reviewed by an
administrator; client feedback: automatic), else the default flow, else an
administrator other than the creator decides.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from custodesk.approvals.registry import ActionType, Preview, register
from custodesk.identity.models import User

from . import kinds as K
from . import permissions as perms
from . import services
from .errors import OrderStateConflict
from .models import WorkOrder


class OrderRef(BaseModel):
    order_id: UUID


def _check(kind: K.Kind) -> Any:
    def check(*, actor: User, payload: OrderRef, now: dt.datetime) -> Preview:
        order = services.get_order(payload.order_id)
        if order.status not in (WorkOrder.Status.DRAFT, WorkOrder.Status.SUBMITTED):
            raise OrderStateConflict(action="approve", status=order.status)
        accounts = services.order_accounts(order)
        kind.check(order.client, accounts, order.fields)
        target = ",".join(a.number for a in accounts) or order.client.client_no
        return Preview(
            object_type="workorder",
            object_id=str(order.public_id),
            dedup_key=f"{kind.code}:{target}",
            after={
                "number": order.number,
                "kind": kind.code,
                "client_no": order.client.client_no,
                "accounts": [a.number for a in accounts],
                "fields": order.fields,
                "reason": order.reason,
            },
        )

    return check


def _execute(
    *, initiator: User, approver: User | None, payload: OrderRef, request: Any, now: dt.datetime
) -> dict[str, Any]:
    return services.on_approved(
        order_id=payload.order_id, approver=approver, request_id=str(request.public_id), now=now
    )


def _on_reject(*, payload: OrderRef, request: Any, now: dt.datetime) -> None:
    services.on_request_ended(
        order_id=payload.order_id,
        status=str(request.status),
        reason=request.reject_reason or "",
        now=now,
    )


def _describe(kind: K.Kind) -> Any:
    def describe(*, payload: OrderRef) -> str:
        order = (
            WorkOrder.objects.filter(public_id=payload.order_id).select_related("client").first()
        )
        if order is None:
            return str(kind.label)
        return f"{order.number} {kind.label}: {order.client.client_no}"

    return describe


def action_for(kind: K.Kind) -> ActionType:
    return ActionType(
        code=kind.action_type,
        label=kind.label,
        payload=OrderRef,
        check=_check(kind),
        execute=_execute,
        describe=_describe(kind),
        default_levels=kind.default_levels,
        on_reject=_on_reject,
        permission=perms.ORDER_CREATE,
        approver_permission=perms.ORDER_DECIDE,
    )


for _kind in K.all_kinds():
    register(action_for(_kind))
