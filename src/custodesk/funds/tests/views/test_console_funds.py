"""Console pages of deposits and withdrawals (Django test client): the operator
deposits and withdraws, the reviewer approves and rejects on the detail page, the
history shows every change; staff list every movement, resolve an unknown outcome
under dual control, set limits and a market's webhook."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from custodesk.funds.models import FundLimit, FundMovement
from custodesk.funds.tests.conftest import SECRET, deposit
from custodesk.testing.fixtures import PASSWORD
from custodesk.testing.governance import delivered_code

pytestmark = pytest.mark.django_db


def sign_in(client: Any, user: Any, clock: Any) -> Any:
    client.logout()
    r = client.post("/console/sign-in/", {"username": user.username, "password": PASSWORD})
    assert r.status_code == 302, r.content
    if r["Location"].startswith("/console/sign-in/code/"):
        r = client.post(
            "/console/sign-in/code/", {"otp_code": delivered_code(user.phone, clock=clock)}
        )
        assert r.status_code == 302, r.content
    return client


def post_movement(client: Any, direction: str, contract: Any, amount: str, key: str) -> Any:
    return client.post(
        f"/console/funds/{direction}/",
        {"contract": str(contract.public_id), "amount": amount, "idempotency_key": key},
    )


def test_operator_and_reviewer_in_the_console(client, contract, operator, reviewer, clock):
    sign_in(client, operator, clock)
    menu = client.get("/console/").content.decode()
    assert "/console/funds/deposit/" in menu and "/console/funds/withdrawal/" in menu
    page = client.get("/console/funds/deposit/").content.decode()
    assert "SHFE" in page and 'data-testid="movement-form"' in page
    r = post_movement(client, "deposit", contract, "0", "c-0")
    assert r.status_code == 200 and "greater than zero" in r.content.decode()
    r = post_movement(client, "deposit", contract, "1000.00", "c-1")
    assert r.status_code == 302
    dep = FundMovement.objects.get(idempotency_key="c-1")
    assert r["Location"] == f"/console/funds/movements/{dep.public_id}/"
    assert 'data-testid="approve"' not in client.get(r["Location"]).content.decode()

    sign_in(client, reviewer, clock)
    url = f"/console/funds/movements/{dep.public_id}/"
    assert 'data-testid="approve"' in client.get(url).content.decode()
    assert client.post(url, {"action": "approve"}).status_code == 302
    page = client.get(url).content.decode()
    assert "Succeeded" in page and "Ent.Reviewer" in page

    sign_in(client, operator, clock)
    r = post_movement(client, "withdrawal", contract, "1200.00", "c-2")
    assert r.status_code == 200 and "The available balance is not enough" in r.content.decode()
    assert not FundMovement.objects.filter(idempotency_key="c-2").exists()
    post_movement(client, "withdrawal", contract, "300.00", "c-3")
    page = client.get("/console/funds/withdrawal/").content.decode()
    assert "700.00 CNY" in page and "300.00 CNY" in page  # available and frozen
    w = FundMovement.objects.get(idempotency_key="c-3")

    sign_in(client, reviewer, clock)
    url = f"/console/funds/movements/{w.public_id}/"
    r = client.post(url, {"action": "reject", "reason": ""})
    assert r.status_code == 200 and FundMovement.objects.get(pk=w.pk).status == "submitted"
    client.post(url, {"action": "reject", "reason": "wrong amount"})
    assert "wrong amount" in client.get(url).content.decode()
    listed = client.get("/console/funds/movements/", {"status": "rejected"}).content.decode()
    assert str(w.public_id) in listed and str(dep.public_id) not in listed


def test_staff_pages(client, admin, make_user, market, contract, operator, reviewer, clock):
    with override_settings(CUSTODESK_RAIL_UNKNOWN_CARDS=contract.card.card_number[-4:]):
        m = deposit(operator, contract, "70.00", clock, "u-1").movement
        from custodesk.funds import services

        services.movement_approve(actor=reviewer, movement_id=m.public_id, now=clock.now())
    sign_in(client, admin, clock)
    assert str(m.public_id) in client.get("/console/funds/staff/movements/").content.decode()
    page = client.get("/console/funds/staff/unknown/").content.decode()
    assert str(m.public_id) in page
    r = client.post(
        "/console/funds/staff/unknown/",
        {
            "movement": str(m.public_id),
            "outcome": "succeeded",
            "bank_reference": "B-77",
            "reason": "bank statement line 12",
        },
    )
    assert r.status_code == 302
    assert FundMovement.objects.get(pk=m.pk).status == "unknown"  # waits for a second officer
    second = make_user("second.officer", roles=["custody_operations"])
    from custodesk.approvals import services as approvals
    from custodesk.approvals.models import ApprovalRequest

    req = ApprovalRequest.objects.get(action_type="funds.resolve")
    approvals.approve(actor=second, request_id=req.public_id, now=clock.now())
    m.refresh_from_db()
    assert (m.status, m.resolution, m.rail_reference) == ("succeeded", "manual", "B-77")

    r = client.post(
        "/console/funds/staff/limits/",
        {
            "form": "limit",
            "market": str(market.public_id),
            "direction": "withdrawal",
            "currency": "CNY",
            "per_transaction": "100.00",
        },
    )
    assert r.status_code == 302
    assert FundLimit.objects.get().per_transaction == 10000
    r = client.post(
        "/console/funds/staff/limits/",
        {
            "form": "webhook",
            "market": str(market.public_id),
            "url": "http://127.0.0.1:9/hook",
            "secret": SECRET,
            "active": "on",
        },
    )
    assert r.status_code == 302
    assert "100.00" in client.get("/console/funds/staff/limits/").content.decode()
