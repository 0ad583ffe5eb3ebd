from __future__ import annotations

import pytest

from custodesk.approvals import services as approvals
from custodesk.brokerage import services
from custodesk.brokerage.approvals import CASH_WITHDRAWAL, CLIENT_FREEZE
from custodesk.brokerage.errors import (
    AppLoginLocked,
    ClientFrozen,
    InvalidTransition,
    SignInRefused,
)
from custodesk.brokerage.models import (
    AccountCash,
    BrokerCashAccount,
    CashMovement,
    ClientLoginDevice,
)
from custodesk.core.errors import ValidationFailed
from custodesk.ledger import facade as ledger
from custodesk.testing.brokerage import app_password, individual, move_cash, open_account

pytestmark = pytest.mark.django_db

DEVICE = services.Device(
    ip="203.0.113.9", device_model="iPhone 15", os="iOS 18", app_version="3.2.1"
)


def test_deposit_and_withdrawal_are_booked_double_entry_after_approval(admin, checker, clock):
    client = individual(admin, now=clock.now())
    account = open_account(admin, checker, client, now=clock.now())
    hkd = AccountCash.objects.get(account=account, currency="HKD")

    move_cash(admin, checker, account, "deposit", "1000.25", now=clock.now())
    move_cash(admin, checker, account, "withdrawal", "400", now=clock.now())

    client_cash = ledger.balances(actor=admin, account_id=hkd.ledger_account_id)
    assert client_cash.posted.minor == 60025
    bank = BrokerCashAccount.objects.get(currency="HKD")
    bank_balance = ledger.balances(actor=admin, account_id=bank.ledger_account_id)
    assert bank_balance.posted.minor == -60025  # the other side of every booking
    moves = list(CashMovement.objects.filter(account=account).order_by("id"))
    assert [(m.kind, m.amount_minor, m.status) for m in moves] == [
        ("deposit", 100025, "completed"),
        ("withdrawal", 40000, "completed"),
    ]
    assert all(m.transfer_id and m.requested_by == admin for m in moves)


def test_withdrawal_beyond_cash_is_refused_and_a_rejection_is_kept(admin, checker, clock):
    client = individual(admin, now=clock.now())
    account = open_account(admin, checker, client, now=clock.now())
    with pytest.raises(ledger.ExceedsCredits):
        move_cash(admin, checker, account, "withdrawal", "1", now=clock.now())
    with pytest.raises(ValidationFailed) as bad:
        move_cash(admin, checker, account, "deposit", "1.001", now=clock.now())
    assert bad.value.errors[0].field == "amount"
    move_cash(admin, checker, account, "deposit", "5", now=clock.now())
    sub = approvals.submit(
        actor=admin,
        action_type=CASH_WITHDRAWAL,
        payload={"account_id": str(account.public_id), "currency": "HKD", "amount": "5"},
        now=clock.now(),
    )
    approvals.reject(
        actor=checker, request_id=sub.request.public_id, reason="no instruction", now=clock.now()
    )
    rejected = CashMovement.objects.get(account=account, kind="withdrawal")
    assert rejected.status == "rejected" and rejected.transfer_id is None


def test_client_sign_in_with_reset_password_then_frozen_client_is_refused(admin, checker, clock):
    client = individual(admin, now=clock.now())
    services.app_login_create(
        actor=admin, client_id=client.public_id, login_name="chan.tm", now=clock.now()
    )
    first = app_password(client.phone)

    out = services.client_sign_in(
        login_name="CHAN.TM", password=first, device=DEVICE, now=clock.now()
    )
    assert out.ok and out.token and out.login.must_change_password
    services.client_password_change(
        session=out.session, current_password=first, new_password="Harbour2026", now=clock.now()
    )

    services.app_login_reset_password(
        actor=admin, client_id=client.public_id, reason="client forgot", now=clock.now()
    )
    reset = app_password(client.phone)
    assert reset != first
    assert not services.client_sign_in(
        login_name="chan.tm", password="Harbour2026", device=DEVICE, now=clock.now()
    ).ok
    assert services.client_sign_in(
        login_name="chan.tm", password=reset, device=DEVICE, now=clock.now()
    ).ok

    sub = approvals.submit(
        actor=admin,
        action_type=CLIENT_FREEZE,
        payload={"client_id": str(client.public_id), "reason": "AML review"},
        now=clock.now(),
    )
    approvals.approve(actor=checker, request_id=sub.request.public_id, now=clock.now())
    refused = services.client_sign_in(
        login_name="chan.tm", password=reset, device=DEVICE, now=clock.now()
    )
    assert isinstance(refused.error, ClientFrozen) and refused.error.status == 403
    # the session issued before the freeze no longer works
    assert services.client_session(out.token, now=clock.now()) is None
    results = list(
        ClientLoginDevice.objects.filter(client=client)
        .order_by("id")
        .values_list("result", flat=True)
    )
    assert results == ["success", "bad_password", "success", "client_frozen"]
    last = ClientLoginDevice.objects.filter(client=client).order_by("-id").first()
    assert (last.ip, last.device_model, last.os, last.app_version) == (
        "203.0.113.9",
        "iPhone 15",
        "iOS 18",
        "3.2.1",
    )


def test_lockout_after_five_failures_and_unlock(admin, clock):
    client = individual(admin, now=clock.now())
    services.app_login_create(
        actor=admin, client_id=client.public_id, login_name="lockme", now=clock.now()
    )
    password = app_password(client.phone)
    for _ in range(5):
        out = services.client_sign_in(
            login_name="lockme", password="nope", device=DEVICE, now=clock.now()
        )
        assert isinstance(out.error, SignInRefused) and out.error.code == "invalid_credentials"
    locked_out = services.client_sign_in(
        login_name="lockme", password=password, device=DEVICE, now=clock.now()
    )
    assert locked_out.error is not None and locked_out.error.code == "invalid_credentials"
    services.app_login_unlock(
        actor=admin, client_id=client.public_id, reason="called in", now=clock.now()
    )
    assert services.client_sign_in(
        login_name="lockme", password=password, device=DEVICE, now=clock.now()
    ).ok
    with pytest.raises(InvalidTransition):
        services.app_login_unlock(
            actor=admin, client_id=client.public_id, reason="x", now=clock.now()
        )
    services.app_login_lock(
        actor=admin, client_id=client.public_id, reason="lost phone", now=clock.now()
    )
    out = services.client_sign_in(
        login_name="lockme", password=password, device=DEVICE, now=clock.now()
    )
    assert isinstance(out.error, AppLoginLocked)
    with pytest.raises(InvalidTransition):
        services.app_login_lock(
            actor=admin, client_id=client.public_id, reason="x", now=clock.now()
        )
    unknown = services.client_sign_in(
        login_name="nobody", password="x", device=DEVICE, now=clock.now()
    )
    assert unknown.error is not None and unknown.error.code == "invalid_credentials"
