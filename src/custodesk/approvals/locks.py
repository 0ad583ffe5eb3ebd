"""Row locks the approval engine takes, always first in a decision's transaction.

A decision (approve, reject, transfer, CC, withdraw, expire) locks exactly one request
row before it reads anything else of the request, so two approvers racing on the last
level serialise on it and the command executes once; the action's own locks (the
ledger's accounts, a user row) come after it, in the order the action's ``execute``
takes them.  A flow change locks the flow row (``flows.execute_configure``).
SQLite ignores row locks: its IMMEDIATE transactions serialise writers.
"""

from __future__ import annotations

from typing import Any

from .models import ApprovalRequest


def request_for_decision(request_id: Any) -> ApprovalRequest | None:
    """The request by public id, locked (``SELECT … FOR UPDATE OF`` the request row
    only: its organisation and initiator are read, not locked — decisions on other
    requests of the same organisation go on in parallel), or None."""
    return (
        ApprovalRequest.objects.select_for_update(of=("self",))
        .select_related("organisation", "initiator")
        .filter(public_id=request_id)
        .first()
    )


def request_for_expiry(pk: int) -> ApprovalRequest:
    """The request by primary key, locked, for the expiry job."""
    return ApprovalRequest.objects.select_for_update().select_related("organisation").get(pk=pk)
