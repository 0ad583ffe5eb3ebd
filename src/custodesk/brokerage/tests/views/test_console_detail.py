"""Console pages of a client and its accounts (Django test client)."""

from __future__ import annotations

import datetime as dt

import pytest

from custodesk.approvals import selectors as inboxes
from custodesk.approvals import services as approvals
from custodesk.brokerage import services
from custodesk.brokerage.models import Account, Client
from custodesk.testing.brokerage import hkid, individual, move_cash, open_account
from custodesk.testing.fixtures import PASSWORD

pytestmark = pytest.mark.django_db


def sign_in(client, username):
    answer = client.post("/console/sign-in/", {"username": username, "password": PASSWORD})
    assert answer.status_code == 302


def test_detail_shows_every_tab_and_switches_between_linked_accounts(client, admin, checker, clock):
    c = individual(admin, now=clock.now())
    cash = open_account(admin, checker, c, now=clock.now())
    margin = open_account(admin, checker, c, now=clock.now(), account_type="margin")
    move_cash(admin, checker, cash, "deposit", "88.80", now=clock.now())
    services.agent_create(
        actor=admin,
        client_id=c.public_id,
        now=clock.now(),
        data={
            "name": "WONG Ka Fai",
            "id_type": "passport",
            "id_number": "E1234567",
            "relationship": "brother",
            "scope": "trading",
            "valid_from": dt.date(2026, 1, 1),
        },
    )
    services.related_create(
        actor=admin,
        client_id=c.public_id,
        now=clock.now(),
        data={"role": "director", "name": "LEE Mei"},
    )
    sign_in(client, "admin")

    page = client.get(f"/console/brokerage/accounts/{cash.number}/").content.decode()
    assert "陳大文" in page and cash.number in page and margin.number in page
    assert "88.80" in page  # the assets tab: the ledger balance and the deposit
    assert f'href="/console/brokerage/accounts/{margin.number}/?tab=assets"' in page
    expected = {
        "operations": "brokerage.account.open",
        "devices": "not signed in",
        "agents": "WONG Ka Fai",
        "related": "LEE Mei",
    }
    for tab, text in expected.items():
        body = client.get(
            f"/console/brokerage/accounts/{margin.number}/?tab={tab}"
        ).content.decode()
        assert text in body, tab
    partial = client.get(
        f"/console/brokerage/accounts/{cash.number}/?tab=agents&partial=tab",
        headers={"HX-Request": "true"},
    ).content.decode()
    assert "WONG Ka Fai" in partial and "<html" not in partial
    assert client.get("/console/brokerage/accounts/999999999/").status_code == 404
    assert client.get("/console/brokerage/clients/99999999/").status_code == 404


def test_freeze_from_the_console_waits_for_the_checker(client, admin, checker, clock):
    c = individual(admin, now=clock.now())
    a = open_account(admin, checker, c, now=clock.now())
    sign_in(client, "admin")
    empty = client.post(f"/console/brokerage/accounts/{a.number}/freeze/", {"reason": ""})
    assert empty.status_code == 200 and "required" in empty.content.decode()
    done = client.post(f"/console/brokerage/accounts/{a.number}/freeze/", {"reason": "AML"})
    assert done.status_code == 302
    a.refresh_from_db()
    assert not a.frozen
    pending = inboxes.inbox(actor=checker, box="pending", now=clock.now()).get()
    approvals.approve(actor=checker, request_id=pending.public_id, now=clock.now())
    page = client.get(f"/console/brokerage/accounts/{a.number}/").content.decode()
    assert f'data-testid="frozen-{a.number}"' in page
    illegal = client.post(f"/console/brokerage/accounts/{a.number}/close/", {"reason": "x"})
    assert illegal.status_code == 200 and "not allowed" in illegal.content.decode()
    assert Account.objects.get(pk=a.pk).status == "active"


def test_register_a_client_and_open_an_account_from_the_console(client, admin, checker, clock):
    sign_in(client, "admin")
    bad = client.post(
        "/console/brokerage/clients/new/",
        {
            "kind": "individual",
            "name_en": "LEE Siu Ling",
            "id_type": "hkid",
            "id_number": "A123456(4)",
            "risk_level": "low",
            "category": "retail",
        },
    )
    assert bad.status_code == 200 and "HKID" in bad.content.decode()
    ok = client.post(
        "/console/brokerage/clients/new/",
        {
            "kind": "individual",
            "name_en": "LEE Siu Ling",
            "name_zh": "李小玲",
            "id_type": "hkid",
            "id_number": hkid(),
            "nationality": "HK",
            "date_of_birth": "1990-02-03",
            "phone": "+85261234567",
            "risk_level": "low",
            "category": "retail",
        },
    )
    assert ok.status_code == 302
    c = Client.objects.get(name_en="LEE Siu Ling")
    assert ok["Location"] == f"/console/brokerage/clients/{c.client_no}/"
    found = client.get("/console/brokerage/clients/", {"q": "李小"}).content.decode()
    assert c.client_no in found
    opened = client.post(
        f"/console/brokerage/clients/{c.client_no}/open/",
        {"account_type": "cash", "base_currency": "HKD", "currencies": ["HKD"], "main_account": ""},
    )
    assert opened.status_code == 302
    assert not Account.objects.filter(client=c).exists()  # waits for the checker
    page = client.get(f"/console/brokerage/clients/{c.client_no}/").content.decode()
    assert "Openings waiting for approval" in page


def test_edit_client_data_needs_a_reason_and_is_audited(client, admin, clock):
    from custodesk.audit.selectors import audit_list

    c = individual(admin, now=clock.now())
    sign_in(client, "admin")
    url = f"/console/brokerage/clients/{c.client_no}/edit/"
    form = client.get(url).content.decode()
    assert 'value="+85291234567"' in form
    fields = {
        "name_en": c.name_en,
        "name_zh": c.name_zh,
        "id_type": c.id_type,
        "id_number": c.id_number,
        "id_issuing_place": c.id_issuing_place,
        "nationality": c.nationality,
        "date_of_birth": "1980-05-17",
        "phone": "+85261234567",
        "email": c.email,
        "address": c.address,
        "risk_level": "high",
        "category": "retail",
    }
    assert client.post(url, {**fields, "reason": ""}).status_code == 200
    assert client.post(url, {**fields, "reason": "client letter"}).status_code == 302
    row = audit_list(actor=admin, filters={"action": "brokerage.client.update"}).get()
    assert row.before == {"phone": "+85291234567", "risk_level": "medium"}
    assert row.after == {"phone": "+85261234567", "risk_level": "high"}
