"""The work-order centre's step of ``custodesk demo`` (after the brokerage's book):
orders of several kinds in every state a newcomer should see, through the services."""

from __future__ import annotations

from typing import Any

from custodesk.brokerage.models import Account, Client
from custodesk.core.errors import DomainError
from custodesk.core.modules import DemoRun
from custodesk.identity.models import User

from . import services
from .models import WorkOrder


def seed(run: DemoRun) -> None:
    admin: User = run.actors["admin"]
    checker = User.objects.filter(username="admin2").first()
    free = list(
        Account.objects.filter(status="active", frozen=False, client__status="active")
        .select_related("client")
        .order_by("number")[:8]
    )
    if len(free) < 6:
        return
    plans: list[tuple[str, dict[str, Any], str]] = [
        ("freeze_account", {"account_numbers": [free[0].number]}, "AML review (demo)"),
        ("freeze_account", {"account_numbers": [free[1].number]}, "Court order (demo)"),
        ("freeze_client", {"client_no": free[2].client.client_no}, "Suspected fraud (demo)"),
        ("modify_contact", {"client_no": free[3].client.client_no}, "Client's letter (demo)"),
    ]
    made = []
    for kind, target, reason in plans:
        fields = {"contact_email": "statements@example.com"} if kind == "modify_contact" else {}
        try:
            made.append(
                services.order_create(
                    actor=admin, kind=kind, reason=reason, fields=fields, now=run.now, **target
                )
            )
        except DomainError:
            continue
    services.order_create(
        actor=admin,
        kind="client_feedback",
        client_no=free[4].client.client_no,
        fields={"category": "enquiry"},
        reason="Asked about the trading hours (demo)",
        now=run.now,
    )
    if checker is not None and len(made) >= 2:
        services.order_approve(actor=checker, order_id=made[0].public_id, now=run.now)
        services.order_reject(
            actor=checker, order_id=made[1].public_id, reason="Order not signed (demo)", now=run.now
        )


def notes() -> str:
    pending = WorkOrder.objects.filter(status="submitted").count()
    return (
        f"Work-order centre: {WorkOrder.objects.count()} orders, {pending} waiting for "
        f"approval; {Client.objects.filter(status='frozen').count()} clients frozen"
    )
