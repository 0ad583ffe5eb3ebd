"""Plain data for the API and the console (no rich objects in templates)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from custodesk.core.money import Money

from . import selectors
from .models import ApprovalFlow, ApprovalRequest
from .services import Submitted


def amount_text(req: ApprovalRequest) -> str | None:
    if req.amount is None or not req.currency:
        return None
    return str(Money(req.amount, req.currency).to_decimal())


def submitted_body(sub: Submitted) -> dict[str, Any]:
    """The answer to a submission: applied at once (``executed``) or the pending request."""
    return {
        "executed": sub.executed,
        "request": request_row(sub.request),
        "result": sub.result,
    }


def request_row(req: ApprovalRequest) -> dict[str, Any]:
    return {
        "id": req.public_id,
        "action_type": req.action_type,
        "summary": req.summary,
        "status": req.status,
        "status_label": req.get_status_display(),
        "auto_approved": req.auto_approved,
        "current_level": req.current_level,
        "level_count": req.level_count,
        "initiator": req.initiator.username,
        "object_type": req.object_type,
        "object_id": req.object_id,
        "amount": amount_text(req),
        "currency": req.currency,
        "created_at": req.created_at,
        "expires_at": req.expires_at,
        "decided_at": req.decided_at,
        "reject_reason": req.reject_reason,
    }


def request_detail(req: ApprovalRequest, actor: Any, now: dt.datetime) -> dict[str, Any]:
    return {
        **request_row(req),
        "payload": req.payload,
        "preview": req.preview,
        "result": req.result,
        "levels": selectors.levels_with_approvers(req),
        "history": [
            {
                "kind": a.kind,
                "kind_label": a.get_kind_display(),
                "level": a.level,
                "actor": a.actor.username if a.actor else None,
                "target": a.target.username if a.target else None,
                "comment": a.comment,
                "at": a.at,
            }
            for a in selectors.history(req)
        ],
        "can": selectors.allowed_actions(actor, req, now=now),
    }


def flow_row(entry: dict[str, Any]) -> dict[str, Any]:
    flow: ApprovalFlow | None = entry["flow"]
    out = {k: v for k, v in entry.items() if k != "flow"}
    out["mode"] = flow.mode if flow else None
    out["expiry_hours"] = flow.expiry_hours if flow else None
    out["levels_config"] = []
    if flow is not None:
        for lv in flow.levels.order_by("position").prefetch_related("approver_users"):
            out["levels_config"].append(
                {
                    "position": lv.position,
                    "name": lv.name,
                    "required_approvals": lv.required_approvals,
                    "forbid_initiator": lv.forbid_initiator,
                    "min_amount": str(Money(lv.min_amount, lv.amount_currency).to_decimal())
                    if lv.min_amount is not None and lv.amount_currency
                    else None,
                    "currency": lv.amount_currency,
                    "users": sorted(u.username for u in lv.approver_users.all()),
                    "role_codes": lv.approver_role_codes,
                }
            )
    return out
