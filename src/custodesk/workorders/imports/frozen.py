"""The frozen clients and accounts the batch unfreeze page lists (a selector)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from custodesk.brokerage.models import Account, Client
from custodesk.core import access

from .. import permissions as perms

LIMIT = 200


def frozen(
    *,
    actor: access.Principal,
    q: str = "",
    numbers: list[str] | None = None,
    limit: int = LIMIT,
) -> list[dict[str, Any]]:
    """Frozen clients, then frozen (not closed) accounts, by number; ``q`` a number
    prefix or part of the English name; ``numbers`` only these client or account
    numbers (the account list's ticked rows)."""
    access.require(actor, perms.ORDER_VIEW)
    cq = Q(client_no__startswith=q) | Q(name_en__icontains=q) if q else Q()
    aq = Q(number__startswith=q) | Q(client__name_en__icontains=q) if q else Q()
    if numbers is not None:
        cq &= Q(client_no__in=numbers)
        aq &= Q(number__in=numbers)
    out: list[dict[str, Any]] = [
        {
            "number": c.client_no,
            "type": "client",
            "client_no": c.client_no,
            "name": c.name_en,
            "reason": c.status_reason,
        }
        for c in Client.objects.filter(cq, status=Client.Status.FROZEN).order_by("client_no")[
            :limit
        ]
    ]
    out += [
        {
            "number": a.number,
            "type": "account",
            "client_no": a.client.client_no,
            "name": a.client.name_en,
            "reason": a.freeze_reason,
        }
        for a in Account.objects.select_related("client")
        .filter(aq, frozen=True)
        .exclude(status=Account.Status.CLOSED)
        .order_by("number")[: max(0, limit - len(out))]
    ]
    return out
