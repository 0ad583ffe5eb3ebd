"""The issue's stories over real HTTP (services behind the live server), on both databases.

An enterprise registers with a real zip, the counter approves, its administrator signs in
the first time (a wrong password, then the captcha; the password change; the
authenticator), binds the settlement account, creates an operator and a reviewer, a second
administrator approves their grants (dual-admin mode); the operator submits a contract,
the reviewer rejects it with a reason, the operator resubmits, the reviewer approves and
the sub-account exists.  An individual registers with a failing card, retries with a good
one, and signs a contract with an SMS code.
"""

from __future__ import annotations

from typing import Any

import pytest

from custodesk.contracts.models import Contract
from custodesk.identity.models import Role, User
from custodesk.ledger.models import LedgerAccount
from custodesk.members.tests.helpers import (
    BAD_CARD,
    GOOD_CARD,
    credentials,
    delivered_sms,
    ensure_directory,
    enterprise_fields,
    individual_fields,
    real_zip,
)
from custodesk.testing.fixtures import totp_code
from custodesk.testing.governance import delivered_code
from custodesk.testing.markets import create_market

pytestmark = pytest.mark.django_db(transaction=True)

NEW = "Brand-New-Secret-77"
ENT_MOBILE = "+8613800000001"
IND_MOBILE = "+8613900000002"


@pytest.fixture(autouse=True)
def _directory(transactional_db: Any) -> None:
    ensure_directory()


def registration_code(api: Any, phone: str, clock: Any) -> dict[str, str]:
    clock.advance(seconds=61)
    answer = api.post("/members/sms-codes", json={"purpose": "register", "phone": phone})
    assert answer.status_code == 201, answer.text
    return {
        "challenge_id": answer.json()["challenge_id"],
        "sms_code": delivered_code(phone, clock=clock),
    }


def custody_code(api: Any, purpose: str, phone: str, clock: Any) -> dict[str, str]:
    clock.advance(seconds=61)
    answer = api.post("/custody/codes", json={"purpose": purpose})
    assert answer.status_code == 201, answer.text
    return {
        "challenge_id": answer.json()["challenge_id"],
        "sms_code": delivered_code(phone, clock=clock),
    }


def first_sign_in(api_client: Any, username: str, password: str) -> Any:
    """Sign in, change the temporary password, enrol the authenticator (TOTP organisation)."""
    api = api_client()
    signed = api.sign_in(username, password)
    assert signed.status_code == 200, signed.text
    if signed.json()["must_change_password"]:
        changed = api.post(
            "/auth/password",
            json={"current_password": password, "new_password": NEW, "new_password_again": NEW},
        )
        assert changed.status_code == 200, changed.text
    if api.get("/me").json().get("second_factor_enrolment_required", True):
        assert api.post("/me/totp").status_code == 200
        user = User.objects.get(username=username)
        assert api.post("/me/totp/confirm", json={"code": totp_code(user)}).status_code == 200
    return api


def test_enterprise_story(api_client, admin, make_user, clock):
    checker = make_user("checker", roles=["admin"])
    market = create_market(admin, checker, now=clock.now(), currencies=["CNY"])
    make_user("counter1", roles=["counter"])

    # registration with a real zip, the counter's approval
    public = api_client()
    data = {**enterprise_fields(), **registration_code(public, ENT_MOBILE, clock)}
    applied = public.post(
        "/members/registrations/enterprise",
        data=data,
        files={"archive": ("documents.zip", real_zip(), "application/zip")},
    )
    assert applied.status_code == 201, applied.text
    counter = api_client()
    assert counter.sign_in("counter1").status_code == 200
    app_id = applied.json()["application_id"]
    assert counter.post(f"/members/applications/{app_id}/approve").status_code == 200
    username, temporary = credentials(
        delivered_sms(ENT_MOBILE, "members.enterprise_approved", clock=clock)
    )

    # first sign-in: a wrong password, then the captcha is required
    admin_api = api_client()
    assert admin_api.sign_in(username, "Wrong-Password-1").status_code == 401
    refused = admin_api.sign_in(username, temporary)
    assert refused.json()["code"] == "captcha_required"
    signed = admin_api.sign_in(username, temporary, captcha=True)
    assert signed.status_code == 200 and signed.json()["must_change_password"] is True
    assert admin_api.get("/custody/markets").json()["code"] == "password_change_required"
    changed = admin_api.post(
        "/auth/password",
        json={"current_password": temporary, "new_password": NEW, "new_password_again": NEW},
    )
    assert changed.json()["second_factor_enrolment_required"] is True
    assert admin_api.post("/me/totp").status_code == 200
    ent_admin = User.objects.get(username=username)
    assert (
        admin_api.post("/me/totp/confirm", json={"code": totp_code(ent_admin)}).status_code == 200
    )
    org = ent_admin.organisation

    # the settlement account: a card in the enterprise's name, authenticated by the bank
    bound = admin_api.post(
        "/custody/me/cards",
        json={
            "bank_code": "102",
            "card_number": GOOD_CARD,
            "phone": ENT_MOBILE,
            **custody_code(admin_api, "member_card_change", ENT_MOBILE, clock),
        },
    )
    assert bound.status_code == 201, bound.text
    card_id = bound.json()["id"]

    # a second administrator, then dual-admin mode; an operator and a reviewer
    def create(name: str) -> str:
        made = admin_api.post(
            "/users",
            json={"username": name, "full_name": name.title(), "phone": "+8613700000000"},
        )
        assert made.status_code == 201, made.text
        return made.json()["temporary_password"]

    def grant(user: str, role: str) -> Any:
        uid = User.objects.get(username=user).public_id
        rid = Role.objects.get(organisation=org, code=role).public_id
        return admin_api.post(f"/users/{uid}/roles", json={"role_id": str(rid)})

    second_temp = create("pearl.admin2")
    assert grant("pearl.admin2", "admin").status_code == 201  # single-admin mode: at once
    switched = admin_api.put(f"/organisations/{org.public_id}/dual-admin", json={"enabled": True})
    assert switched.status_code in (200, 201), switched.text
    second = first_sign_in(api_client, "pearl.admin2", second_temp)
    op_temp, rv_temp = create("pearl.operator"), create("pearl.reviewer")
    for user, role in (
        ("pearl.operator", "custody_operator"),
        ("pearl.reviewer", "custody_reviewer"),
    ):
        waiting = grant(user, role)
        assert waiting.status_code == 202, waiting.text  # the second administrator decides
        decided = second.post(
            f"/approvals/requests/{waiting.json()['request']['id']}/approve", json={}
        )
        assert decided.status_code == 200, decided.text
    operator = first_sign_in(api_client, "pearl.operator", op_temp)
    reviewer = first_sign_in(api_client, "pearl.reviewer", rv_temp)

    # the operator submits, the reviewer rejects with a reason
    body = {
        "market_id": str(market.public_id),
        "member_code": "PR-001",
        "card_id": card_id,
        "agreement_version": market.agreement_version,
        "agreement_accepted": True,
    }
    first = operator.post("/custody/contracts", json=body)
    assert first.status_code == 202, first.text
    rid = first.json()["request"]["id"]
    assert [
        r["id"] for r in reviewer.get("/custody/requests", params={"box": "pending"}).json()
    ] == [rid]
    assert (
        reviewer.post(f"/approvals/requests/{rid}/reject", json={"reason": ""}).status_code == 422
    )
    rejected = reviewer.post(
        f"/approvals/requests/{rid}/reject", json={"reason": "The member code is PR-002."}
    )
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert (
        operator.get("/custody/requests").json()[0]["reject_reason"] == "The member code is PR-002."
    )
    assert not Contract.objects.exists()

    # resubmitted and approved: the contract and its sub-account
    again = operator.post("/custody/contracts", json={**body, "member_code": "PR-002"})
    assert again.status_code == 202, again.text
    assert (
        operator.post(
            f"/approvals/requests/{again.json()['request']['id']}/approve", json={}
        ).status_code
        == 403
    )
    approved = reviewer.post(
        f"/approvals/requests/{again.json()['request']['id']}/approve", json={}
    )
    assert approved.status_code == 200 and approved.json()["status"] == "approved", approved.text
    [row] = operator.get("/custody/contracts").json()["items"]
    detail = operator.get(f"/custody/contracts/{row['id']}").json()
    assert detail["member_code"] == "PR-002" and detail["approved_by"] == "Pearl.Reviewer"
    account = LedgerAccount.objects.get(code=detail["sub_account"]["code"])
    assert account.kind == "member_sub" and account.debits_must_not_exceed_credits
    assert account.organisation_id == org.pk and account.status == "open"


def test_individual_story(api_client, admin, make_user, clock):
    checker = make_user("checker", roles=["admin"])
    market = create_market(admin, checker, now=clock.now(), currencies=["CNY"])
    public = api_client()
    failed = public.post(
        "/members/registrations/individual",
        json={
            **individual_fields(card_number=BAD_CARD),
            **registration_code(public, IND_MOBILE, clock),
        },
    )
    assert failed.status_code == 422 and failed.json()["reason"] == "card_name_mismatch"
    done = public.post(
        "/members/registrations/individual",
        json={
            **individual_fields(card_number=GOOD_CARD),
            **registration_code(public, IND_MOBILE, clock),
        },
    )
    assert done.status_code == 201, done.text
    username, password = credentials(
        delivered_sms(IND_MOBILE, "members.individual_registered", clock=clock)
    )

    # sign-in with an SMS code, the first password change
    api = api_client()
    clock.advance(seconds=61)
    asked = api.sign_in(username, password)
    assert asked.json()["code"] == "otp_required" and asked.json()["second_factor"] == "sms"
    signed = api.sign_in(
        username,
        password,
        otp_code=delivered_code(IND_MOBILE, clock=clock),
        challenge_id=asked.json()["challenge_id"],
    )
    assert signed.status_code == 200, signed.text
    changed = api.post(
        "/auth/password",
        json={"current_password": password, "new_password": NEW, "new_password_again": NEW},
    )
    assert changed.status_code == 200, changed.text

    # signing: the bound card of the registration, an SMS code, applied at once
    [card] = api.get("/custody/me/cards").json()
    [offer] = api.get("/custody/markets").json()
    body = {
        "market_id": offer["id"],
        "member_code": "WF-01",
        "card_id": card["id"],
        "agreement_version": offer["agreement_version"],
        "agreement_accepted": True,
    }
    missing = api.post("/custody/contracts", json=body)
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "sms_code"
    signed_contract = api.post(
        "/custody/contracts", json={**body, **custody_code(api, "contract_sign", IND_MOBILE, clock)}
    )
    assert signed_contract.status_code == 201, signed_contract.text
    assert signed_contract.json()["executed"] is True
    contract = Contract.objects.get(public_id=signed_contract.json()["result"]["contract_id"])
    assert contract.market == market and contract.status == "active"
    assert LedgerAccount.objects.get(pk=contract.sub_ledger_account_id).kind == "member_sub"
