"""A booked transfer described from what the engine has in hand (no re-read)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from .rules import Acc, Booking, Pending
from .spec import TransferSpec


def booked(
    b: Booking,
    tid: int,
    accs: dict[int, Acc],
    pendings: dict[int, Pending],
    business_date: dt.date,
    now: dt.datetime,
) -> dict[str, Any]:
    """What the general path booked."""
    return transfer_out(
        b.spec, public_id=b.public_id, tid=tid, debit_code=accs[b.debit].code,
        credit_code=accs[b.credit].code, amount=b.amount, currency=b.currency, flag=b.flag,
        pending_public_id=pendings[b.pending_id].public_id if b.pending_id else None,
        timeout_at=b.timeout_at, business_date=business_date, now=now,
    )  # fmt: skip


def transfer_out(
    spec: TransferSpec,
    *,
    public_id: Any,
    tid: int,
    debit_code: str,
    credit_code: str,
    amount: int,
    currency: str,
    flag: str,
    pending_public_id: Any,
    timeout_at: dt.datetime | None,
    business_date: dt.date,
    now: dt.datetime,
) -> dict[str, Any]:
    """A booked transfer as ``services.transfer_dict`` presents it, without re-reading it
    (times in UTC, as the database gives them back: a replay answers the same)."""
    return {
        "id": str(public_id),
        "internal_id": tid,
        "idempotency_key": spec.idempotency_key,
        "debit_account": debit_code,
        "credit_account": credit_code,
        "amount": amount,
        "currency": currency,
        "flag": flag,
        "pending_state": "pending" if flag == "pending" else "",
        "pending_id": str(pending_public_id) if pending_public_id else None,
        "timeout_at": timeout_at.astimezone(dt.UTC) if timeout_at is not None else None,
        "kind": spec.kind[:32],
        "business_date": business_date,
        "group_id": spec.group_id[:64],
        "metadata": spec.metadata,
        "created_at": now.astimezone(dt.UTC),
    }
