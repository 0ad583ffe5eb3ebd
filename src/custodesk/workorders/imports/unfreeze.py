"""Batch unfreeze (WO-UNFREEZE): unfreeze orders for one or many frozen clients and
accounts at once — a selection in the console's list of frozen targets, or numbers
given to the API — each its own order (one batch id), with a result per target.

A client number (8 digits) makes an ``unfreeze_client`` order, an account number
(9 digits) an ``unfreeze_account`` order; the work-order services create and submit
them, so the same checks and approval flows hold as for one order made by hand.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from custodesk.brokerage.models import Account, Client
from custodesk.core import access
from custodesk.core.errors import DomainError, ValidationFailed
from custodesk.core.ids import uuid7
from custodesk.identity.models import User

from .. import permissions as perms
from .. import services as orders
from ..models import WorkOrder

MAX_TARGETS = 500


@dataclass
class Result:
    target: str
    ok: bool
    kind: str = ""
    order_id: str = ""
    order_number: str = ""
    status: str = ""
    code: str = ""
    title: str = ""


@dataclass
class Batch:
    batch_id: uuid.UUID
    results: list[Result] = field(default_factory=list)

    @property
    def ok_count(self) -> int:
        return sum(1 for r in self.results if r.ok)


def _refused(target: str, exc: DomainError) -> Result:
    title = str(exc.title)
    if isinstance(exc, ValidationFailed) and exc.errors:
        title = "; ".join(str(e.message) for e in exc.errors)
    return Result(target, False, code=exc.code, title=title)


def _clean(targets: list[str], reason: str) -> tuple[list[str], str]:
    numbers = []
    for t in targets:
        n = str(t).strip()
        if n and n not in numbers:
            numbers.append(n)
    errors = []
    if not numbers:
        errors.append(("targets", "required", _("Choose at least one client or account.")))
    if len(numbers) > MAX_TARGETS:
        errors.append(("targets", "max_items", _("500 at most at once.")))
    text = (reason or "").strip()
    if not text:
        errors.append(("reason", "required", _("Give a reason.")))
    elif len(text) > 400:
        errors.append(("reason", "max_length", _("400 characters at most.")))
    if errors:
        from custodesk.core.errors import FieldError

        raise ValidationFailed([FieldError(f, r, m) for f, r, m in errors])
    return numbers, text


def unfreeze_many(*, actor: User, targets: list[str], reason: str, now: dt.datetime) -> Batch:
    """One unfreeze order per client or account number, all in one batch, each submitted
    to its approval flow.  A target that cannot be unfrozen (unknown, not frozen, an
    order already open …) gets its refusal in its result; the others go on.  Raises
    ValidationFailed (targets, reason) when nothing can be tried, PermissionDenied."""
    access.require(actor, perms.ORDER_CREATE)
    numbers, text = _clean(targets, reason)
    batch = Batch(uuid7())
    made: list[tuple[Result, WorkOrder]] = []
    with transaction.atomic(durable=True):
        clients = {c.client_no: c for c in Client.objects.filter(client_no__in=numbers)}
        accounts = {
            a.number: a for a in Account.objects.select_related("client").filter(number__in=numbers)
        }
        for n in numbers:
            kw: dict[str, Any]
            if n in clients:
                kw = {"kind": "unfreeze_client", "client": clients[n], "accounts": []}
            elif n in accounts:
                a = accounts[n]
                kw = {"kind": "unfreeze_account", "client": a.client, "accounts": [a]}
            else:
                batch.results.append(
                    Result(n, False, code="not_found", title=str(_("No such client or account.")))
                )
                continue
            try:
                with transaction.atomic():
                    order = orders.order_create_within(
                        actor=actor, reason=text, fields={},
                        channel=WorkOrder.Channel.MANUAL, batch_id=batch.batch_id, now=now, **kw,
                    )  # fmt: skip
            except DomainError as exc:
                batch.results.append(_refused(n, exc))
                continue
            r = Result(n, True, kind=kw["kind"], order_id=str(order.public_id),
                       order_number=order.number, status=order.status)  # fmt: skip
            batch.results.append(r)
            made.append((r, order))
    for r, order in made:
        try:
            done = orders.order_submit(actor=actor, order_id=order.public_id, now=now)
        except DomainError as exc:
            refused = _refused(r.target, exc)
            r.ok, r.code, r.title = False, refused.code, refused.title
            # stays a draft of its creator, who sees it in the centre
            with contextlib.suppress(DomainError):
                orders.order_cancel(actor=actor, order_id=order.public_id, reason="", now=now)
        else:
            r.status = done.status
    return batch
