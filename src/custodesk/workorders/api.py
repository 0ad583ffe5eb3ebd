"""Staff API of the work-order centre, mounted under ``/api/v1/workorders``.

Orders created here have the channel ``api``; attachments travel base64-encoded in
the creation body (5 files of 5 MB at most).  Decisions go through the approval engine
(the order's flow); a batch decision answers a result per order."""

from __future__ import annotations

import base64
import binascii
from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from custodesk.core import clock
from custodesk.core.apiauth import actor, auth
from custodesk.core.errors import NotFound, ValidationFailed

from . import kinds as K
from . import presenters, selectors, services
from .models import WorkOrder
from .schemas import (
    WorkOrderBatchIn,
    WorkOrderBatchResultOut,
    WorkOrderCommentIn,
    WorkOrderCountsOut,
    WorkOrderDetailOut,
    WorkOrderFilters,
    WorkOrderIn,
    WorkOrderKindOut,
    WorkOrderMessageOut,
    WorkOrderOptionalReasonIn,
    WorkOrderPageIn,
    WorkOrderReasonIn,
    WorkOrdersPageOut,
)

router = Router(auth=auth, tags=["work orders"])


def _filters(f: WorkOrderFilters) -> selectors.OrderFilter:
    return selectors.OrderFilter(**{k: v for k, v in f.dict().items() if v is not None})


def _detail(request: HttpRequest, order: WorkOrder) -> dict[str, Any]:
    order = selectors.order_get(actor=actor(request), order_id=order.public_id)
    return presenters.order_detail(order, now=clock.now())


@router.get("/kinds", response=list[WorkOrderKindOut])
def kinds(request: HttpRequest) -> list[dict[str, Any]]:
    """Every kind of work order with its target and form fields."""
    actor(request)
    return [presenters.kind_row(k) for k in K.all_kinds()]


@router.get("/orders", response=WorkOrdersPageOut)
def orders(
    request: HttpRequest, filters: Query[WorkOrderFilters], paging: Query[WorkOrderPageIn]
) -> dict[str, Any]:
    """Orders, newest first; filters: kind, status, target (client or account number),
    creator (user name), date range (local days), batch.  ``page``/``page_size``."""
    count, rows = selectors.orders(
        actor=actor(request),
        filters=_filters(filters),
        limit=paging.page_size,
        offset=(paging.page - 1) * paging.page_size,
    )
    return {"count": count, "items": [presenters.order_row(o) for o in rows]}


@router.get("/orders/counts", response=WorkOrderCountsOut)
def counts(request: HttpRequest, filters: Query[WorkOrderFilters]) -> dict[str, Any]:
    """The centre's tab counts: per kind and per status."""
    return selectors.counts(actor=actor(request), filters=_filters(filters))


def _uploads(payload: WorkOrderIn) -> list[services.Upload]:
    out = []
    for i, a in enumerate(payload.attachments):
        try:
            content = base64.b64decode(a.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationFailed.single(
                f"attachments.{i}.content_base64", "base64", "Not base64."
            ) from None
        out.append(services.Upload(a.name, a.content_type, content))
    return out


@router.post("/orders", response={201: WorkOrderDetailOut})
def order_create(request: HttpRequest, payload: WorkOrderIn) -> tuple[int, Any]:
    """Create a work order and (unless ``submit`` is false) submit it to its flow."""
    order = services.order_create(
        actor=actor(request),
        kind=payload.kind,
        client_no=payload.client_no,
        account_numbers=payload.account_numbers,
        reason=payload.reason,
        fields=dict(payload.fields),
        attachments=_uploads(payload),
        channel=WorkOrder.Channel.API,
        submit=payload.submit,
        now=clock.now(),
    )
    return 201, _detail(request, order)


@router.post("/orders/batch", response=list[WorkOrderBatchResultOut])
def batch(request: HttpRequest, payload: WorkOrderBatchIn) -> list[Any]:
    """Approve or reject many orders; each its own result (status, or the refusal)."""
    return services.batch_decide(
        actor=actor(request),
        order_ids=payload.order_ids,
        decision=payload.decision,
        reason=payload.reason,
        now=clock.now(),
    )


@router.get("/orders/{order_id}", response=WorkOrderDetailOut)
def order_get(request: HttpRequest, order_id: UUID) -> dict[str, Any]:
    """An order with its fields, result, history, attachments and messages."""
    order = selectors.order_get(actor=actor(request), order_id=order_id)
    return presenters.order_detail(order, now=clock.now())


@router.get("/orders/{order_id}/attachments/{attachment_id}")
def attachment(request: HttpRequest, order_id: UUID, attachment_id: UUID) -> HttpResponse:
    a = selectors.attachment_get(
        actor=actor(request), order_id=order_id, attachment_id=attachment_id
    )
    response = HttpResponse(bytes(a.content), content_type=a.content_type)
    response["Content-Disposition"] = "attachment"
    response["X-Content-SHA256"] = a.sha256
    return response


@router.post("/orders/{order_id}/submit", response=WorkOrderDetailOut)
def order_submit(request: HttpRequest, order_id: UUID) -> dict[str, Any]:
    order = services.order_submit(actor=actor(request), order_id=order_id, now=clock.now())
    return _detail(request, order)


@router.post("/orders/{order_id}/cancel", response=WorkOrderDetailOut)
def order_cancel(request: HttpRequest, order_id: UUID, payload: WorkOrderOptionalReasonIn) -> Any:
    """The creator cancels a draft or withdraws a pending order."""
    order = services.order_cancel(
        actor=actor(request), order_id=order_id, reason=payload.reason, now=clock.now()
    )
    return _detail(request, order)


@router.post("/orders/{order_id}/approve", response=WorkOrderDetailOut)
def order_approve(request: HttpRequest, order_id: UUID, payload: WorkOrderCommentIn) -> Any:
    """Approve at the current level (the last approval executes the order)."""
    order = services.order_approve(
        actor=actor(request), order_id=order_id, comment=payload.comment, now=clock.now()
    )
    return _detail(request, order)


@router.post("/orders/{order_id}/reject", response=WorkOrderDetailOut)
def order_reject(request: HttpRequest, order_id: UUID, payload: WorkOrderReasonIn) -> Any:
    order = services.order_reject(
        actor=actor(request), order_id=order_id, reason=payload.reason, now=clock.now()
    )
    return _detail(request, order)


@router.get("/clients/{client_no}/messages", response=list[WorkOrderMessageOut])
def client_messages(request: HttpRequest, client_no: str) -> list[dict[str, Any]]:
    """The client's message records (消息記錄), newest first; secrets never shown."""
    who = actor(request)
    client = selectors.client_by_number(client_no[:16])
    if client is None:
        raise NotFound(object="client")
    return selectors.client_messages(actor=who, client=client, now=clock.now())
