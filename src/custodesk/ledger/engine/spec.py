"""What a caller asks of the engine (:class:`TransferSpec`) and what it answers
(:class:`Outcome`), and the limits both sides rely on."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

MAX_BATCH = 8190
MAX_AMOUNT = 2**63 - 1  # the largest amount (and counter) a BIGINT column holds
FLAGS = ("posted", "pending", "post_pending", "void_pending")
RESOLVING = ("post_pending", "void_pending")


@dataclass
class TransferSpec:
    """One requested transfer, with internal account ids and minor units."""

    debit_account_id: int | None = None
    credit_account_id: int | None = None
    amount: int | None = None  # post_pending: None posts the full pending amount
    currency: str = ""
    flag: str = "posted"
    pending_id: int | None = None
    timeout_seconds: int | None = None
    kind: str = "transfer"
    idempotency_key: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    group_id: str = ""
    # Account codes, for a caller that has no ids (the API): the engine resolves them,
    # and PostgreSQL's one-round-trip booking does so in the same call.
    debit_code: str | None = None
    credit_code: str | None = None

    def digest(self) -> str:
        """What an idempotency key is checked against: the request's content (over
        account ids, so codes are resolved first)."""
        body = {
            "debit": self.debit_account_id,
            "credit": self.credit_account_id,
            "amount": self.amount,
            "currency": self.currency,
            "flag": self.flag,
            "pending": self.pending_id,
            "timeout": self.timeout_seconds,
            "kind": self.kind,
            "metadata": self.metadata,
            "group": self.group_id,
        }
        raw = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(raw.encode()).hexdigest()


@dataclass
class Outcome:
    """The answer for one item: booked (``transfer``) or refused (``code``, ``detail``);
    ``replayed`` when it is the recorded answer of an earlier request with the same key."""

    index: int
    ok: bool
    transfer: dict[str, Any] | None = None
    code: str | None = None
    detail: str = ""
    replayed: bool = False


def spec_dict(spec: TransferSpec) -> dict[str, Any]:
    """The request as a refused attempt stores it."""
    return {
        "debit_account_id": spec.debit_account_id,
        "credit_account_id": spec.credit_account_id,
        "amount": spec.amount,
        "currency": spec.currency,
        "flag": spec.flag,
        "pending_id": spec.pending_id,
        "timeout_seconds": spec.timeout_seconds,
        "kind": spec.kind,
        "idempotency_key": spec.idempotency_key,
        "metadata": spec.metadata,
        "group_id": spec.group_id,
    }
