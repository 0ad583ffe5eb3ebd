"""Console pages of contracts and the member's own data (Django test client)."""

from __future__ import annotations

from typing import Any

import pytest

from custodesk.approvals import services as approvals
from custodesk.contracts.models import Contract, ContractMarketState
from custodesk.identity.models import User
from custodesk.members.models import BoundCard
from custodesk.testing.fixtures import PASSWORD
from custodesk.testing.governance import delivered_code

pytestmark = pytest.mark.django_db


def console_sign_in(client: Any, user: Any, clock: Any) -> None:
    r = client.post("/console/sign-in/", {"username": user.username, "password": PASSWORD})
    assert r.status_code == 302, r.content
    if r["Location"].startswith("/console/sign-in/code/"):
        code = delivered_code(user.phone, clock=clock)
        r = client.post("/console/sign-in/code/", {"otp_code": code})
        assert r.status_code == 302, r.content


def send_code(client: Any, purpose: str, back: str) -> None:
    r = client.post(f"/console/custody/code/{purpose}/", {"next": back})
    assert r.status_code == 302 and r["Location"] == back


def test_an_individual_signs_and_cancels_in_the_console(client, market, individual, clock):
    console_sign_in(client, individual.admin, clock)
    menu = client.get("/console/").content.decode()
    assert "/console/custody/contracts/markets/" in menu and "/console/custody/me/cards/" in menu
    page = client.get("/console/custody/contracts/markets/")
    assert "SHFE" in page.content.decode()
    url = f"/console/custody/contracts/markets/{market.public_id}/sign/"
    page = client.get(url).content.decode()
    assert "The bank keeps the member" in page and 'data-testid="send-code"' in page
    clock.advance(minutes=1)
    send_code(client, "contract_sign", url)
    code = delivered_code(individual.profile.mobile, clock=clock)
    refused = client.post(
        url,
        {
            "member_code": "IND1",
            "card_id": str(individual.card.public_id),
            "currency": "CNY",
            "sms_code": code,
        },
    )
    assert refused.status_code == 200 and "Accept the service agreement" in refused.content.decode()
    assert not Contract.objects.exists()
    done = client.post(
        url,
        {
            "member_code": "IND1",
            "card_id": str(individual.card.public_id),
            "currency": "CNY",
            "agreement_accepted": "on",
            "sms_code": code,
        },
    )
    contract = Contract.objects.get()
    assert done["Location"] == f"/console/custody/contracts/{contract.public_id}/"
    detail = client.get(done["Location"]).content.decode()
    assert "IND1" in detail and "SUB-SHFE-" in detail

    cancel_url = f"/console/custody/contracts/{contract.public_id}/cancel/"
    clock.advance(minutes=2)
    send_code(client, "contract_cancel", cancel_url)
    r = client.post(
        cancel_url,
        {
            "comment": "no longer trading",
            "sms_code": delivered_code(individual.profile.mobile, clock=clock),
        },
    )
    assert r.status_code == 302
    contract.refresh_from_db()
    assert contract.status == "cancelled"


def test_cancel_refusal_shows_on_the_form(client, market, enterprise, operator, reviewer, clock):
    from custodesk.contracts import services

    sub = services.sign_submit(
        actor=operator,
        market_id=market.public_id,
        member_code="E1",
        card_id=enterprise.card.public_id,
        currency=None,
        agreement_version=1,
        agreement_accepted=True,
        now=clock.now(),
    )
    approvals.approve(actor=reviewer, request_id=sub.request.public_id, now=clock.now())
    contract = Contract.objects.get()
    market_admin = User.objects.get(username="shfeadmin")
    services.market_state_report(
        actor=market_admin,
        contract_id=contract.public_id,
        open_trades=0,
        open_disputes=2,
        now=clock.now(),
    )
    console_sign_in(client, operator, clock)
    page = client.get("/console/custody/contracts/").content.decode()
    assert "E1" in page
    r = client.post(f"/console/custody/contracts/{contract.public_id}/cancel/", {"comment": "stop"})
    assert r.status_code == 200
    assert "open dispute" in r.content.decode()
    contract.refresh_from_db()
    assert contract.status == "active"


def test_the_reviewer_sees_the_request_to_review(
    client, market, enterprise, operator, reviewer, clock
):
    from custodesk.contracts import services

    sub = services.sign_submit(
        actor=operator,
        market_id=market.public_id,
        member_code="E2",
        card_id=enterprise.card.public_id,
        currency=None,
        agreement_version=1,
        agreement_accepted=True,
        now=clock.now(),
    )
    console_sign_in(client, reviewer, clock)
    page = client.get("/console/custody/contracts/").content.decode()
    assert f'data-testid="review-{sub.request.public_id}"' in page
    assert "/console/custody/contracts/markets/" not in page  # a reviewer does not sign
    detail = client.get(f"/console/approvals/{sub.request.public_id}/").content.decode()
    assert "E2" in detail and 'data-testid="approve"' in detail


def test_staff_see_every_contract_and_an_enterprise_without_card_is_told(
    client, market, enterprise, clock
):
    from custodesk.members.models import BoundCard as Card

    Card.objects.filter(member=enterprise.profile).update(
        status="replaced", replaced_at=clock.now()
    )
    console_sign_in(client, enterprise.admin, clock)
    page = client.get(f"/console/custody/contracts/markets/{market.public_id}/sign/")
    assert 'data-testid="no-card"' in page.content.decode()
    assert "/console/custody/me/cards/" in page.content.decode()
    client.post("/console/sign-out/")
    staff = User.objects.get(username="admin")
    console_sign_in(client, staff, clock)
    listing = client.get("/console/custody/contracts/")
    assert listing.status_code == 200
    assert "/console/custody/members/" in listing.content.decode()


def test_market_staff_report_in_the_console(client, market, individual, clock):
    from custodesk.contracts import services

    ch = services.sms_code_send(actor=individual.admin, purpose="contract_sign", now=clock.now())
    services.sign_submit(
        actor=individual.admin,
        market_id=market.public_id,
        member_code="IND2",
        card_id=individual.card.public_id,
        currency=None,
        agreement_version=1,
        agreement_accepted=True,
        challenge_id=ch.public_id,
        sms_code=delivered_code(individual.profile.mobile, clock=clock),
        now=clock.now(),
    )
    contract = Contract.objects.get()
    staff = User.objects.get(username="shfeadmin")
    staff.set_password(PASSWORD)
    staff.must_change_password = False
    staff.save()
    console_sign_in(client, staff, clock)
    assert "Wang Fang" in client.get("/console/custody/members/").content.decode()
    url = f"/console/custody/contracts/{contract.public_id}/market-state/"
    r = client.post(url, {"open_trades": "4", "open_disputes": "0", "note": "four lots"})
    assert r.status_code == 302
    assert ContractMarketState.objects.get().open_trades == 4


def test_self_service_pages(client, individual, clock):
    console_sign_in(client, individual.admin, clock)
    for url in (
        "/console/custody/me/cards/",
        "/console/custody/me/info/",
        "/console/custody/me/close/",
    ):
        assert client.get(url).status_code == 200, url
    clock.advance(minutes=1)
    send_code(client, "member_card_change", "/console/custody/me/cards/")
    r = client.post(
        "/console/custody/me/cards/",
        {
            "bank_code": "104",
            "card_number": "6222020200000000017",
            "phone": individual.profile.mobile,
            "sms_code": delivered_code(individual.profile.mobile, clock=clock),
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    assert BoundCard.objects.filter(member=individual.profile).count() == 2


def test_the_enterprise_admin_creates_an_operator_and_grants_the_custody_menu(
    client, enterprise, clock
):
    from custodesk.identity.models import Role

    console_sign_in(client, enterprise.admin, clock)
    made = client.post(
        "/console/users/new/",
        {"username": "ent.maker", "full_name": "Maker", "email": "", "phone": "13800000001"},
    )
    assert made.status_code in (200, 302), made.content.decode()[:500]
    maker = User.objects.get(username="ent.maker")
    assert maker.organisation_id == enterprise.org.pk
    page = client.get(f"/console/users/{maker.public_id}/").content.decode()
    role = Role.objects.get(organisation=enterprise.org, code="custody_operator")
    assert str(role.public_id) in page  # the member's roles are offered
    client.post(f"/console/users/{maker.public_id}/grant/", {"role": str(role.public_id)})
    maker.forget_permissions()
    assert maker.role_codes() == ["custody_operator"]
