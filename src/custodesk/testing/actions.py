"""A test-only approvable action carrying an amount (for amount tiers).

Registered through the public extension point exactly as a module would; its
executor writes an audit row so tests can see it ran once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel

from custodesk.approvals.registry import ActionType, Preview, register
from custodesk.audit.services import entry, record
from custodesk.core.errors import DomainError
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


# -- the same payment, executable in bulk (approvals.batch) ---------------------------------
BULK_PAYMENT = "testing.bulk_payment"


class Refused(DomainError):
    code = "payment_refused"
    title = "The payee refuses the payment"
    status = 409


def execute_many(
    *, approver: Any, items: list[tuple[Any, PaymentPayload]], now: dt.datetime, audit: list
) -> list[dict[str, Any] | DomainError]:
    """References starting with ``refuse`` are refused (nothing written for them); the
    others get an audit row handed to the engine."""
    answers: list[dict[str, Any] | DomainError] = []
    for request, payload in items:
        if payload.reference.startswith("refuse"):
            answers.append(Refused(reference=payload.reference))
            continue
        audit.append(
            entry(
                actor=approver,
                action="testing.payment.execute",
                object_type="payment",
                object_id=payload.reference,
                after={"amount": payload.amount, "bulk": True},
                approval_request_id=str(request.public_id),
                now=now,
            )
        )
        answers.append({"paid": payload.reference, "bulk": True})
    return answers


register(
    ActionType(
        code=BULK_PAYMENT,
        label="Test payment (bulk)",
        payload=PaymentPayload,
        check=check,
        execute=execute,
        execute_many=execute_many,
        describe=describe,
    )
)
