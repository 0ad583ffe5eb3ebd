"""The issue's story over real HTTP, on both databases: the enterprise's operator
deposits 1,000.00, the reviewer approves, the balance is 1,000.00 and the market's
webhook receiver (a real HTTP server) got the notification; a withdrawal of 300.00
holds its amount (available 700.00, frozen 300.00) until the reviewer rejects it;
1,200.00 is refused ``insufficient_funds`` with nothing held.  Scoping: another member
gets 404; staff see every movement and set limits and the market's webhook."""

from __future__ import annotations

from typing import Any

import pytest

from custodesk.funds.models import FundMovement
from custodesk.funds.tests.conftest import SECRET, open_member
from custodesk.notify import services as notify

pytestmark = pytest.mark.django_db(transaction=True)


def signed_in(api_client: Any, user: Any) -> Any:
    api = api_client()
    r = api.sign_in(user.username)
    assert r.status_code == 200, r.text
    return api


def body(contract: Any, amount: str, key: str, **kw: Any) -> dict[str, Any]:
    return {"contract_id": str(contract.public_id), "amount": amount, "idempotency_key": key, **kw}


def balances(api: Any) -> tuple[str, str, str]:
    [row] = api.get("/funds/contracts").json()
    return row["balance"], row["available"], row["frozen"]


def test_the_story(api_client, admin, market, contract, operator, reviewer, receiver, clock):
    staff = signed_in(api_client, admin)
    r = staff.put(
        f"/funds/markets/{market.public_id}/webhook", json={"url": receiver.url, "secret": SECRET}
    )
    assert r.status_code == 200, r.text
    op, rv = signed_in(api_client, operator), signed_in(api_client, reviewer)

    r = op.post("/funds/deposits", json=body(contract, "1000.00", "dep-1"))
    assert r.status_code == 202, r.text
    dep = r.json()["movement"]
    assert dep["status"] == "submitted" and balances(op) == ("0.00", "0.00", "0.00")
    again = op.post("/funds/deposits", json=body(contract, "1000.00", "dep-1"))
    assert again.json()["replayed"] and again.json()["movement"]["id"] == dep["id"]
    r = rv.post(f"/funds/movements/{dep['id']}/approve", json={})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "succeeded" and r.json()["rail_reference"]
    assert balances(op) == ("1000.00", "1000.00", "0.00")
    notify.deliver_due(clock=clock)
    [note] = receiver.processed.values()
    assert note["event"] == "funds.balance_changed"
    assert note["data"]["available"] == "1000.00" and note["data"]["movement_id"] == dep["id"]

    r = op.post("/funds/withdrawals", json=body(contract, "300.00", "wd-1"))
    assert r.status_code == 202, r.text
    wd = r.json()["movement"]
    assert balances(op) == ("1000.00", "700.00", "300.00")
    r = rv.post(f"/funds/movements/{wd['id']}/reject", json={"reason": "wrong amount"})
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["reason"]) == ("rejected", "wrong amount")
    assert [e["to_status"] for e in r.json()["events"]] == ["submitted", "rejected"]
    assert balances(op) == ("1000.00", "1000.00", "0.00")

    r = op.post("/funds/withdrawals", json=body(contract, "1200.00", "wd-2"))
    assert r.status_code == 409 and r.json()["code"] == "insufficient_funds", r.text
    assert balances(op) == ("1000.00", "1000.00", "0.00")
    assert not FundMovement.objects.filter(idempotency_key="wd-2").exists()

    # approved through the approvals inbox: sent to the rail once the decision commits
    r = op.post("/funds/withdrawals", json=body(contract, "250.00", "wd-3"))
    rid = r.json()["request_id"]
    assert rv.post(f"/approvals/requests/{rid}/approve", json={}).status_code == 200
    assert op.get(f"/funds/movements/{r.json()['movement']['id']}").json()["status"] == "succeeded"
    assert balances(op) == ("750.00", "750.00", "0.00")
    notify.deliver_due(clock=clock)
    assert sorted(n["data"]["available"] for n in receiver.processed.values()) == [
        "1000.00",
        "750.00",
    ]

    # another member: 404; staff: every member's movements
    stranger = open_member(
        kind="enterprise",
        name="Other Trading Co Ltd",
        id_number="91350100M000200Y43",
        mobile="13900000009",
        now=clock.now(),
    )
    other = signed_in(api_client, stranger.admin)
    assert other.get(f"/funds/movements/{dep['id']}").status_code == 404
    assert other.post(f"/funds/movements/{dep['id']}/approve", json={}).status_code == 404
    assert other.get("/funds/movements").json()["items"] == []
    listed = staff.get("/funds/movements", params={"market": "SHFE", "direction": "withdrawal"})
    assert {m["status"] for m in listed.json()["items"]} == {"rejected", "succeeded"}


def test_limits_over_http_and_bad_input(api_client, admin, market, contract, operator, clock):
    staff = signed_in(api_client, admin)
    r = staff.put(
        "/funds/limits",
        json={
            "market_id": str(market.public_id),
            "direction": "deposit",
            "currency": "CNY",
            "per_transaction": "100.00",
        },
    )
    assert r.status_code == 200, r.text
    op = signed_in(api_client, operator)
    assert op.put("/funds/limits", json={}).status_code in (403, 422)
    r = op.post("/funds/deposits", json=body(contract, "100.50", "lim-1"))
    assert r.status_code == 422
    [err] = r.json()["errors"]
    assert (err["field"], err["rule"]) == ("amount", "per_transaction_limit")
    assert "100.00 CNY" in err["message"]
    for bad in ({"amount": "-1"}, {"amount": "1e3"}, {"idempotency_key": ""}, {"extra": 1}):
        r = op.post("/funds/deposits", json={**body(contract, "1.00", "k"), **bad})
        assert r.status_code == 422, (bad, r.text)
    assert not FundMovement.objects.exists()
