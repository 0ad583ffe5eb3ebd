"""A test-only approvable action carrying an amount (for amount tiers).

Registered through the public extension point exactly as a module would; its
executor writes an audit row so tests can see it ran once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel

from custodesk.approvals.registry import ActionType, Preview, register
from custodesk.audit.services import record
from custodesk.core.money import Money

PAYMENT = "testing.payment"


class PaymentPayload(BaseModel):
    reference: str
    amount: str
    currency: str = "HKD"


def check(*, actor: Any, payload: PaymentPayload, now: dt.datetime) -> Preview:
    money = Money.from_decimal(payload.amount, payload.currency, field="payload.amount")
    return Preview(
        object_type="payment",
        object_id=payload.reference,
        dedup_key=payload.reference,
        before={"paid": False},
        after={"paid": True, "amount": payload.amount},
        amount=money,
    )


def execute(
    *, initiator: Any, approver: Any, payload: PaymentPayload, request: Any, now: dt.datetime
) -> dict[str, Any]:
    record(
        actor=approver or initiator,
        action="testing.payment.execute",
        object_type="payment",
        object_id=payload.reference,
        after={"amount": payload.amount},
        approval_request_id=str(request.public_id),
        now=now,
    )
    return {"paid": payload.reference}


def describe(*, payload: PaymentPayload) -> str:
    return f"Pay {payload.amount} {payload.currency} ({payload.reference})"


register(
    ActionType(
        code=PAYMENT,
        label="Test payment",
        payload=PaymentPayload,
        check=check,
        execute=execute,
        describe=describe,
    )
)
