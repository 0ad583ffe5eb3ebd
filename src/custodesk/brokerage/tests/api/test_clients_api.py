from __future__ import annotations

import pytest

from custodesk.testing.brokerage import app_password, hkid

pytestmark = pytest.mark.django_db(transaction=True)

CLIENT = {
    "kind": "individual",
    "name_en": "CHAN Tai Man",
    "name_zh": "陳大文",
    "id_type": "hkid",
    "id_number": "",
    "nationality": "HK",
    "date_of_birth": "1980-05-17",
    "phone": "+85291234567",
    "email": "chan@example.com",
}


def _approve(api, body):
    assert body["executed"] is False and body["request"]["status"] == "pending"
    decided = api.post(f"/approvals/requests/{body['request']['id']}/approve", json={})
    assert decided.status_code == 200, decided.text
    return decided.json()


def _register_and_open(maker, checker):
    created = maker.post("/brokerage/clients", json={**CLIENT, "id_number": hkid()})
    assert created.status_code == 201, created.text
    client = created.json()
    opened = maker.post(
        f"/brokerage/clients/{client['client_no']}/accounts",
        json={"account_type": "cash", "base_currency": "HKD", "currencies": ["HKD", "USD"]},
    )
    assert opened.status_code == 202, opened.text
    result = _approve(checker, opened.json())["result"]
    return client, result["number"]


def test_open_deposit_freeze_and_the_detail_tabs_over_http(api_client, admin, checker):
    maker, boss = api_client(), api_client()
    maker.sign_in("admin")
    boss.sign_in("checker")
    client, number = _register_and_open(maker, boss)

    detail = maker.get(f"/brokerage/accounts/{number}").json()
    assert detail["account"]["status"] == "active" and detail["client"]["name_zh"] == "陳大文"
    assert [a["number"] for a in detail["linked_accounts"]] == [number]

    deposit = maker.post(
        f"/brokerage/accounts/{number}/deposits",
        json={"currency": "HKD", "amount": "1500.50", "reference": "FPS-1"},
    )
    assert deposit.status_code == 202
    pending = maker.get(f"/brokerage/accounts/{number}/assets").json()
    assert pending["movements"][0]["status"] == "pending"
    _approve(boss, deposit.json())
    assets = maker.get(f"/brokerage/accounts/{number}/assets").json()
    hkd = next(b for b in assets["balances"] if b["currency"] == "HKD")
    assert hkd["posted"] == "1500.50" and hkd["available"] == "1500.50"
    assert [(m["kind"], m["amount"], m["status"]) for m in assets["movements"]] == [
        ("deposit", "1500.50", "completed")
    ]

    bad = maker.post(
        f"/brokerage/accounts/{number}/withdrawals", json={"currency": "HKD", "amount": "9999"}
    )
    assert bad.status_code == 422 and bad.json()["code"] == "exceeds_credits"

    frozen = maker.post(f"/brokerage/accounts/{number}/freeze", json={"reason": "AML review"})
    assert frozen.status_code == 202
    _approve(boss, frozen.json())
    assert maker.get(f"/brokerage/accounts/{number}").json()["account"]["frozen"] is True
    again = maker.post(f"/brokerage/accounts/{number}/freeze", json={"reason": "again"})
    assert again.status_code == 409
    assert (again.json()["code"], again.json()["from"], again.json()["to"]) == (
        "invalid_transition",
        "frozen",
        "frozen",
    )
    closing = maker.post(f"/brokerage/accounts/{number}/close", json={"reason": "x"})
    assert closing.status_code == 409 and closing.json()["code"] == "invalid_transition"
    unfrozen = maker.post(f"/brokerage/accounts/{number}/unfreeze", json={"reason": "cleared"})
    assert unfrozen.status_code == 200 and unfrozen.json()["account"]["frozen"] is False
    has_cash = maker.post(f"/brokerage/accounts/{number}/close", json={"reason": "x"})
    assert has_cash.status_code == 409 and has_cash.json()["code"] == "account_has_cash"

    ops = maker.get(f"/brokerage/clients/{client['client_no']}/operations").json()
    actions = [o["action"] for o in ops]
    for expected in (
        "brokerage.client.create",
        "brokerage.account.open",
        "brokerage.cash.deposit.completed",
        "brokerage.account.freeze",
        "brokerage.account.unfreeze",
    ):
        assert expected in actions


def test_unknown_numbers_are_404_and_bad_input_422(api_client, admin):
    api = api_client()
    api.sign_in("admin")
    for path in (
        "/brokerage/accounts/999999999",
        "/brokerage/accounts/999999999/assets",
        "/brokerage/clients/99999999",
        "/brokerage/clients/99999999/operations",
    ):
        answer = api.get(path)
        assert answer.status_code == 404, path
        assert answer.json()["code"] == "not_found"
    missing = "01930000-0000-7000-8000-000000000000"
    assert api.post(f"/brokerage/agents/{missing}/revoke", json={"reason": "x"}).status_code == 404
    bad = api.post("/brokerage/clients", json={**CLIENT, "id_number": "A123456(4)"})
    assert bad.status_code == 422
    assert {"field": "id_number", "rule": "hkid"}.items() <= bad.json()["errors"][0].items()
    extra = api.post("/brokerage/clients", json={**CLIENT, "id_number": hkid(), "vip": True})
    assert extra.status_code == 422


def test_a_member_user_cannot_see_the_book(api_client, admin, member_org, make_user):
    outsider = make_user("memberclerk", organisation=member_org)
    api = api_client()
    api.sign_in(outsider.username)
    assert api.get("/brokerage/clients", params={"q": "CHAN"}).status_code == 403


def test_agents_and_related_persons_over_http_are_audited(api_client, admin):
    api = api_client()
    api.sign_in("admin")
    client = api.post("/brokerage/clients", json={**CLIENT, "id_number": hkid()}).json()
    base = f"/brokerage/clients/{client['client_no']}"
    agent = api.post(
        f"{base}/agents",
        json={
            "name": "WONG Ka Fai",
            "id_type": "passport",
            "id_number": "E1234567",
            "relationship": "brother",
            "scope": "trading",
            "valid_from": "2026-01-01",
        },
    )
    assert agent.status_code == 201, agent.text
    changed = api.request(
        "PATCH",
        f"/brokerage/agents/{agent.json()['id']}",
        json={"scope": "full", "reason": "new mandate"},
    )
    assert changed.status_code == 200 and changed.json()["scope"] == "full"
    person = api.post(
        f"{base}/related-persons",
        json={"role": "beneficial_owner", "name": "LEE Mei", "share_percent": "25"},
    )
    assert person.status_code == 201 and person.json()["share_percent"] == "25.00"
    assert [a["name"] for a in api.get(f"{base}/agents").json()] == ["WONG Ka Fai"]
    ops = api.get(f"{base}/operations").json()
    update = next(o for o in ops if o["action"] == "brokerage.agent.update")
    assert update["before"]["scope"] == "trading" and update["after"]["scope"] == "full"
    assert update["reason"] == "new mandate" and update["ip"] == "127.0.0.1"


def test_client_app_sign_in_reset_password_and_frozen_client(api_client, admin, checker):
    staff, boss, app = api_client(), api_client(), api_client()
    staff.sign_in("admin")
    boss.sign_in("checker")
    client = staff.post("/brokerage/clients", json={**CLIENT, "id_number": hkid()}).json()
    base = f"/brokerage/clients/{client['client_no']}"
    created = staff.post(f"{base}/app-login", json={"login_name": "chan.tm"})
    assert created.status_code == 201
    assert set(created.json()) == {
        "login_name",
        "state",
        "failed_count",
        "must_change_password",
        "last_sign_in_at",
    }  # the password went to the client's phone, not to staff
    reset = staff.post(f"{base}/app-login/reset-password", json={"reason": "forgot"})
    assert reset.status_code == 200 and reset.json()["must_change_password"] is True
    password = app_password(CLIENT["phone"])
    device = {"device_model": "iPhone 15", "os": "iOS 18", "app_version": "3.2.1"}

    wrong = app.post(
        "/client-app/sign-in", json={"login_name": "chan.tm", "password": "nope", **device}
    )
    assert wrong.status_code == 401 and wrong.json()["code"] == "invalid_credentials"
    ok = app.post(
        "/client-app/sign-in", json={"login_name": "chan.tm", "password": password, **device}
    )
    assert ok.status_code == 200 and ok.headers["Cache-Control"] == "no-store"
    token = ok.json()["token"]
    me = app.get("/client-app/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json()["must_change_password"] is True
    changed = app.post(
        "/client-app/password",
        headers={"Authorization": f"Bearer {token}"},
        json={"current_password": password, "new_password": "Harbour2026"},
    )
    assert changed.status_code == 200 and changed.json()["must_change_password"] is False
    # the staff token is not a client-app token, and the other way round
    assert (
        app.get("/client-app/me", headers={"Authorization": f"Bearer {staff.token}"}).status_code
        == 401
    )
    assert (
        staff.get("/brokerage/clients", headers={"Authorization": f"Bearer {token}"}).status_code
        == 401
    )

    _approve(boss, staff.post(f"{base}/freeze", json={"reason": "AML review"}).json())
    refused = app.post(
        "/client-app/sign-in", json={"login_name": "chan.tm", "password": "Harbour2026", **device}
    )
    assert refused.status_code == 403 and refused.json()["code"] == "client_frozen"
    assert (
        app.get("/client-app/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    )
    devices = staff.get(f"{base}/login-devices").json()
    assert [d["result"] for d in devices] == ["client_frozen", "success", "bad_password"]
    assert devices[1]["device_model"] == "iPhone 15" and devices[1]["ip"] == "127.0.0.1"
