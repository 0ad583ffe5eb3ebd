"""Plain data of clients and accounts for the API and the console (no rich objects)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from custodesk.core.money import Money

from .models import Account, CashMovement, Client, ClientAppLogin, RelatedPerson
from .selectors import detail
from .services.app_login import login_state


def account_brief(a: Account) -> dict[str, Any]:
    return {
        "public_id": a.public_id,
        "number": a.number,
        "type": a.type,
        "type_label": a.get_type_display(),
        "base_currency": a.base_currency,
        "status": a.status,
        "status_label": a.get_status_display(),
        "frozen": a.frozen,
        "freeze_reason": a.freeze_reason,
        "main_account": a.parent.number if a.parent_id and a.parent else None,
        "opened_on": a.opened_on,
        "closed_at": a.closed_at,
    }


def app_login(login: ClientAppLogin | None, now: dt.datetime) -> dict[str, Any] | None:
    if login is None:
        return None
    return {
        "login_name": login.login_name,
        "state": login_state(login, now),
        "failed_count": login.failed_count,
        "must_change_password": login.must_change_password,
        "last_sign_in_at": login.last_sign_in_at,
    }


def client_detail(c: Client, now: dt.datetime) -> dict[str, Any]:
    return {
        "client": c,
        "accounts": [account_brief(a) for a in detail.linked_accounts(c)],
        "holders": [h.client_no for h in detail.holders(c)],
        "joint_clients": [j.client_no for j in detail.joint_memberships(c)],
        "app_login": app_login(detail.app_login(c), now),
    }


def account_detail(a: Account) -> dict[str, Any]:
    return {
        "account": account_brief(a),
        "client": a.client,
        "linked_accounts": [account_brief(x) for x in detail.linked_accounts(a.client)],
    }


def movement(m: CashMovement) -> dict[str, Any]:
    return {
        "id": m.public_id,
        "kind": m.kind,
        "kind_label": m.get_kind_display(),
        "currency": m.currency,
        "amount": str(Money(m.amount_minor, m.currency).to_decimal()),
        "status": m.status,
        "status_label": m.get_status_display(),
        "reference": m.reference,
        "remark": m.remark,
        "requested_by": m.requested_by.username if m.requested_by else "",
        "requested_at": m.requested_at,
        "decided_at": m.decided_at,
        "approval_request_id": m.approval_id,
    }


def pending_movement(req: Any) -> dict[str, Any]:
    """A deposit/withdrawal request still waiting for approval, shaped as a movement."""
    payload = req.payload or {}
    kind = "deposit" if req.action_type.endswith("deposit") else "withdrawal"
    return {
        "id": req.public_id,
        "kind": kind,
        "kind_label": CashMovement.Kind(kind).label,
        "currency": payload.get("currency", ""),
        "amount": payload.get("amount", ""),
        "status": "pending",
        "status_label": req.get_status_display(),
        "reference": payload.get("reference", ""),
        "remark": payload.get("remark", ""),
        "requested_by": req.initiator.username,
        "requested_at": req.created_at,
        "decided_at": None,
        "approval_request_id": req.public_id,
    }


def assets(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "balances": [
            {
                "currency": currency,
                "posted": str(b.posted.to_decimal()),
                "available": str(b.available.to_decimal()),
                "pending_debits": str(b.pending_debits.to_decimal()),
                "pending_credits": str(b.pending_credits.to_decimal()),
                "frozen": b.debit_frozen or b.credit_frozen,
            }
            for currency, b in data["balances"]
        ],
        "movements": [pending_movement(r) for r in data["pending"]]
        + [movement(m) for m in data["movements"]],
    }


def related(p: RelatedPerson) -> dict[str, Any]:
    return {
        "public_id": p.public_id,
        "role": p.role,
        "role_label": p.get_role_display(),
        "name": p.name,
        "id_type": p.id_type,
        "id_number": p.id_number,
        "share_percent": str(p.share_percent) if p.share_percent is not None else None,
        "phone": p.phone,
        "email": p.email,
    }
