"""The custody API over real HTTP: dual control, scoping (404 for another member's or
market's data), grants (403 and no menu entry without one)."""

from __future__ import annotations

from typing import Any

import pytest

from custodesk.contracts.models import Contract
from custodesk.contracts.tests.conftest import add_user
from custodesk.identity.models import User
from custodesk.testing.fixtures import PASSWORD
from custodesk.testing.governance import delivered_code

pytestmark = pytest.mark.django_db(transaction=True)


def signed_in(api_client: Any, user: Any) -> Any:
    api = api_client()
    r = api.sign_in(user.username)
    assert r.status_code == 200, r.text
    return api


def sign_body(market: Any, card: Any, **kw: Any) -> dict[str, Any]:
    return {
        "market_id": str(market.public_id),
        "member_code": "M0001",
        "card_id": str(card.public_id),
        "agreement_version": market.agreement_version,
        "agreement_accepted": True,
        **kw,
    }


def test_operator_submits_reviewer_rejects_and_approves(
    api_client, market, enterprise, operator, reviewer, clock
):
    op = signed_in(api_client, operator)
    rv = signed_in(api_client, reviewer)
    r = op.post("/custody/contracts", json=sign_body(market, enterprise.card))
    assert r.status_code == 202, r.text
    request_id = r.json()["request"]["id"]
    pending = rv.get("/custody/requests", params={"box": "pending"}).json()
    assert [p["id"] for p in pending] == [request_id]
    r = rv.post(f"/approvals/requests/{request_id}/reject", json={"reason": "wrong code"})
    assert r.status_code == 200, r.text
    mine = op.get("/custody/requests").json()
    assert mine[0]["status"] == "rejected" and mine[0]["reject_reason"] == "wrong code"

    r = op.post("/custody/contracts", json=sign_body(market, enterprise.card, member_code="M0002"))
    assert r.status_code == 202
    r = op.post(f"/approvals/requests/{r.json()['request']['id']}/approve", json={})
    assert r.status_code == 403 or r.json()["code"] == "initiator_cannot_approve"
    rid = op.get("/custody/requests").json()[0]["id"]
    assert rv.post(f"/approvals/requests/{rid}/approve", json={}).status_code == 200
    [row] = op.get("/custody/contracts").json()["items"]
    assert row["member_code"] == "M0002" and row["status"] == "active"
    detail = op.get(f"/custody/contracts/{row['id']}").json()
    assert detail["sub_account"]["balance"] == "0.00" and detail["sub_account"]["currency"] == "CNY"


def test_field_rules_over_http(api_client, market, enterprise, operator):
    op = signed_in(api_client, operator)
    r = op.post(
        "/custody/contracts",
        json=sign_body(market, enterprise.card, agreement_accepted=False, agreement_version=7),
    )
    assert r.status_code == 422
    assert {(e["field"], e["rule"]) for e in r.json()["errors"]} == {
        ("agreement_accepted", "required"),
        ("agreement_version", "outdated"),
    }
    r = op.post("/custody/contracts", json={**sign_body(market, enterprise.card), "extra": 1})
    assert r.status_code == 422
    assert not Contract.objects.exists()


def test_another_members_ids_are_404_on_every_member_endpoint(
    api_client, market, enterprise, operator, reviewer, individual, clock
):
    from custodesk.contracts.tests.conftest import open_member

    op = signed_in(api_client, operator)
    r = op.post("/custody/contracts", json=sign_body(market, enterprise.card))
    request_id = r.json()["request"]["id"]
    rv = signed_in(api_client, reviewer)
    rv.post(f"/approvals/requests/{request_id}/approve", json={})
    contract = Contract.objects.get()
    other = open_member(
        kind="enterprise",
        name="Other Trading Ltd",
        id_number="91350100M000100Y45",
        mobile="13900000005",
        now=clock.now(),
    )
    intruder = signed_in(api_client, other.admin)
    cid = contract.public_id
    answers = {
        "get contract": intruder.get(f"/custody/contracts/{cid}"),
        "cancel": intruder.post(f"/custody/contracts/{cid}/cancel", json={}),
        "market state": intruder.get(f"/custody/contracts/{cid}/market-state"),
        "report": intruder.put(
            f"/custody/contracts/{cid}/market-state", json={"open_trades": 1, "open_disputes": 0}
        ),
        "sign with its card": intruder.post(
            "/custody/contracts", json=sign_body(market, enterprise.card, member_code="X1")
        ),
        "approval request": intruder.get(f"/approvals/requests/{request_id}"),
        "approve it": intruder.post(f"/approvals/requests/{request_id}/approve", json={}),
    }
    assert {k: v.status_code for k, v in answers.items()} == {k: 404 for k in answers}
    assert intruder.get("/custody/contracts").json()["items"] == []
    assert intruder.get("/custody/me/cards").json()[0]["id"] == str(other.card.public_id)
    assert len(intruder.get("/custody/me/cards").json()) == 1


def test_without_the_grant_403_and_no_menu_until_the_second_admin_approves(
    api_client, client, market, enterprise, clock
):
    from custodesk.identity.models import Role
    from custodesk.testing.governance import set_dual_admin

    second = add_user(enterprise, "ent.admin2", "admin", now=clock.now())
    set_dual_admin(
        actor=enterprise.admin,
        organisation_id=enterprise.org.public_id,
        enabled=True,
        now=clock.now(),
        approver=second,
    )
    clerk = add_user(enterprise, "ent.clerk", None, now=clock.now())
    api = signed_in(api_client, clerk)
    assert api.get("/custody/contracts").status_code == 403
    assert api.get("/custody/requests").status_code == 403
    assert api.get("/custody/markets").status_code == 403
    assert api.post("/custody/codes", json={"purpose": "contract_sign"}).status_code == 403
    assert (
        api.post("/custody/contracts", json=sign_body(market, enterprise.card)).status_code == 403
    )
    assert (
        client.post(
            "/console/sign-in/", {"username": clerk.username, "password": PASSWORD}
        ).status_code
        == 302
    )
    page = client.get("/console/")
    assert "/console/custody/contracts/" not in page.content.decode()
    assert client.get("/console/custody/contracts/").status_code == 403

    admin_api = signed_in(api_client, enterprise.admin)
    role = Role.objects.get(organisation=enterprise.org, code="custody_operator")
    r = admin_api.post(f"/users/{clerk.public_id}/roles", json={"role_id": str(role.public_id)})
    assert r.status_code == 202, r.text  # dual-admin mode: waits for the second admin
    assert api.get("/custody/contracts").status_code == 403
    assert "/console/custody/contracts/" not in client.get("/console/").content.decode()

    second_api = signed_in(api_client, second)
    assert (
        second_api.post(
            f"/approvals/requests/{r.json()['request']['id']}/approve", json={}
        ).status_code
        == 200
    )
    assert api.get("/custody/contracts").status_code == 200
    assert "/console/custody/contracts/" in client.get("/console/").content.decode()


def test_market_staff_see_only_their_market(api_client, market, other_market, individual, clock):
    from custodesk.contracts import services

    ch = services.sms_code_send(actor=individual.admin, purpose="contract_sign", now=clock.now())
    services.sign_submit(
        actor=individual.admin,
        market_id=market.public_id,
        member_code="IND1",
        card_id=individual.card.public_id,
        currency=None,
        agreement_version=1,
        agreement_accepted=True,
        challenge_id=ch.public_id,
        sms_code=delivered_code(individual.profile.mobile, clock=clock),
        now=clock.now(),
    )
    contract = Contract.objects.get()
    own = User.objects.get(username="shfeadmin")
    own.set_password(PASSWORD)
    own.must_change_password = False
    own.save()
    foreign = User.objects.get(username="dceadmin")
    foreign.set_password(PASSWORD)
    foreign.must_change_password = False
    foreign.save()
    mine = signed_in(api_client, own)
    theirs = signed_in(api_client, foreign)
    assert [c["id"] for c in mine.get("/custody/contracts").json()["items"]] == [
        str(contract.public_id)
    ]
    assert theirs.get("/custody/contracts").json()["items"] == []
    assert theirs.get(f"/custody/contracts/{contract.public_id}").status_code == 404
    assert [m["name"] for m in mine.get("/custody/members").json()] == ["Wang Fang"]
    assert theirs.get("/custody/members").json() == []
    r = mine.put(
        f"/custody/contracts/{contract.public_id}/market-state",
        json={"open_trades": 3, "open_disputes": 1, "note": "two lots unsettled"},
    )
    assert r.status_code == 200 and r.json()["open_trades"] == 3
    detail = mine.get(f"/custody/contracts/{contract.public_id}")
    assert detail.json()["sub_account"] is None  # the market does not read the balances
    # the member's login name reached it through the outbox only: not in staff answers
    answers = detail.text + mine.get("/custody/contracts").text + mine.get("/custody/members").text
    assert individual.admin.username not in answers
