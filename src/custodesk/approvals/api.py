"""Approval API: flows, inboxes (with export), request detail and every decision."""

from typing import Annotated, Any, Literal
from uuid import UUID

from django.http import HttpRequest, StreamingHttpResponse
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from custodesk.core import clock
from custodesk.core.apiauth import actor, auth
from custodesk.core.schema_types import Code, Day, OneOf, Pages, QueryBool, Text, download

from . import exports, flows, presenters, registry, selectors, services
from .models import ApprovalRequest
from .presenters import submitted_body
from .schemas import (
    ActionTypeOut,
    ApprovalBatchIn,
    ApprovalBatchItemOut,
    ApprovalReasonIn,
    ApprovalTransferIn,
    CcIn,
    CommentIn,
    FlowIn,
    FlowOut,
    RequestDetailOut,
    RequestOut,
    SubmitIn,
    SubmittedOut,
)

router = Router(auth=auth, tags=["approvals"])


class InboxFilters(Schema):
    box: Annotated[str, OneOf(selectors.BOXES)] = "pending"
    action_type: Code | None = Field(None, max_length=64)
    status: Annotated[str, OneOf(ApprovalRequest.Status)] | None = None
    initiator: Text | None = Field(None, max_length=150)
    q: Text | None = Field(None, max_length=200)
    date_from: Day | None = None
    date_to: Day | None = None


@router.get("/action-types", response=list[ActionTypeOut])
def action_types(request: HttpRequest) -> list[dict[str, str]]:
    return [{"code": a.code, "label": str(a.label)} for a in registry.all_types()]


@router.get("/flows", response=list[FlowOut])
def list_flows(request: HttpRequest) -> list[dict[str, Any]]:
    """Every approvable action with the flow that applies to the caller's organisation."""
    rows = [presenters.flow_row(e) for e in selectors.flows(actor=actor(request))]
    for r in rows:
        r["levels"] = r.pop("levels_config")
    return rows


@router.put("/flows/{action_type}", response={200: SubmittedOut, 202: SubmittedOut})
def configure_flow(request: HttpRequest, action_type: str, payload: FlowIn) -> Any:
    """Create or replace a flow (levels, approvers by user or role, N approvals, tiers).

    A change to a flow is itself an approvable action (``approvals.flow_configure``):
    200 when applied at once (single-admin mode), 202 with the request when a second
    administrator must approve.  A governance action's flow in dual-admin mode can be
    neither ``auto`` nor let the initiator approve (422 ``dual_control_required``).
    """
    sub = services.submit(
        actor=actor(request),
        action_type=flows.FLOW_CONFIGURE,
        payload=flows.flow_change_payload(
            action_type=action_type,
            mode=payload.mode,
            expiry_hours=payload.expiry_hours,
            levels=[lv.dict() for lv in payload.levels],
            global_flow=payload.global_flow,
        ),
        now=clock.now(),
    )
    return (200 if sub.executed else 202), submitted_body(sub)


@router.delete("/flows/{action_type}", response={200: SubmittedOut, 202: SubmittedOut})
def delete_flow(request: HttpRequest, action_type: str, global_flow: QueryBool = False) -> Any:
    """Remove a flow (the action falls back to its default); approvable like a change."""
    sub = services.submit(
        actor=actor(request),
        action_type=flows.FLOW_DELETE,
        payload={"action_type": action_type, "global_flow": global_flow},
        now=clock.now(),
    )
    return (200 if sub.executed else 202), submitted_body(sub)


@router.post("/requests", response={201: SubmittedOut, 202: SubmittedOut})
def submit(request: HttpRequest, payload: SubmitIn) -> Any:
    """Submit any registered action.  201: executed at once (auto flow); 202: pending."""
    sub = services.submit(
        actor=actor(request),
        action_type=payload.action_type,
        payload=payload.payload,
        comment=payload.comment,
        now=clock.now(),
    )
    return (201 if sub.executed else 202), submitted_body(sub)


@router.get("/requests", response=list[RequestOut])
@paginate(Pages, page_size=50)
def inbox(request: HttpRequest, filters: Query[InboxFilters]) -> Any:
    """`box`: pending (for me), done (by me), initiated (by me), cc (to me), all (view_all)."""
    data = filters.dict(exclude_none=True)
    box = data.pop("box")
    qs = selectors.inbox(actor=actor(request), box=box, filters=data, now=clock.now())
    return [presenters.request_row(r) for r in qs]


@router.get("/requests/export", response={200: None}, openapi_extra=download())
def export(
    request: HttpRequest, filters: Query[InboxFilters], format: Literal["csv", "xlsx"] = "csv"
) -> StreamingHttpResponse:
    data = filters.dict(exclude_none=True)
    box = data.pop("box")
    qs = selectors.inbox(actor=actor(request), box=box, filters=data, now=clock.now())
    return exports.response(qs[:50_000], format, f"approvals-{box}")


@router.post("/requests/batch", response=list[ApprovalBatchItemOut])
def batch(request: HttpRequest, payload: ApprovalBatchIn) -> list[dict[str, Any]]:
    """Approve or reject many, a result per request: approvals are decided a hundred to a
    transaction, set-based; rejections one transaction each.  A refused request does not
    undo the others and leaves nothing behind."""
    results = services.batch_decide(
        actor=actor(request),
        request_ids=payload.request_ids,
        decision=payload.decision,
        reason=payload.reason,
        now=clock.now(),
    )
    return [r.__dict__ for r in results]


@router.get("/requests/{request_id}", response=RequestDetailOut)
def detail(request: HttpRequest, request_id: UUID) -> dict[str, Any]:
    req = selectors.request_detail(actor=actor(request), public_id=request_id)
    return presenters.request_detail(req, actor(request), clock.now())


@router.post("/requests/{request_id}/approve", response=RequestDetailOut)
def approve(request: HttpRequest, request_id: UUID, payload: CommentIn) -> dict[str, Any]:
    """Approve at the current level; the last approval executes the action."""
    d = services.approve(
        actor=actor(request), request_id=request_id, comment=payload.comment, now=clock.now()
    )
    return presenters.request_detail(d.request, actor(request), clock.now())


@router.post("/requests/{request_id}/reject", response=RequestDetailOut)
def reject(request: HttpRequest, request_id: UUID, payload: ApprovalReasonIn) -> dict[str, Any]:
    d = services.reject(
        actor=actor(request), request_id=request_id, reason=payload.reason, now=clock.now()
    )
    return presenters.request_detail(d.request, actor(request), clock.now())


@router.post("/requests/{request_id}/transfer", response=RequestDetailOut)
def transfer(request: HttpRequest, request_id: UUID, payload: ApprovalTransferIn) -> dict[str, Any]:
    req = services.transfer(
        actor=actor(request),
        request_id=request_id,
        to_user_id=payload.to_user_id,
        comment=payload.comment,
        now=clock.now(),
    )
    return presenters.request_detail(req, actor(request), clock.now())


@router.post("/requests/{request_id}/cc", response=RequestDetailOut)
def cc(request: HttpRequest, request_id: UUID, payload: CcIn) -> dict[str, Any]:
    req = services.cc(
        actor=actor(request),
        request_id=request_id,
        user_ids=payload.user_ids,
        comment=payload.comment,
        now=clock.now(),
    )
    return presenters.request_detail(req, actor(request), clock.now())


@router.post("/requests/{request_id}/withdraw", response=RequestDetailOut)
def withdraw(request: HttpRequest, request_id: UUID, payload: CommentIn) -> dict[str, Any]:
    req = services.withdraw(
        actor=actor(request), request_id=request_id, reason=payload.comment, now=clock.now()
    )
    return presenters.request_detail(req, actor(request), clock.now())
