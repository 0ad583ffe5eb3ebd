from __future__ import annotations

import datetime as dt

import pytest

from custodesk.approvals import services as approvals
from custodesk.brokerage import services
from custodesk.brokerage.approvals import ACCOUNT_FREEZE
from custodesk.brokerage.errors import (
    AccountHasCash,
    AccountNotActive,
    ClientHasOpenAccounts,
    InvalidTransition,
    ReregistrationBlocked,
)
from custodesk.brokerage.models import AccountCash
from custodesk.core.errors import ValidationFailed
from custodesk.ledger import facade as ledger
from custodesk.testing.brokerage import individual, move_cash, open_account

pytestmark = pytest.mark.django_db


def _freeze(admin, checker, account, now, reason="suspicious trading"):
    sub = approvals.submit(
        actor=admin,
        action_type=ACCOUNT_FREEZE,
        payload={"account_id": str(account.public_id), "reason": reason},
        now=now,
    )
    assert not sub.executed  # dual control: waits for the checker
    account.refresh_from_db()
    assert not account.frozen
    return approvals.approve(actor=checker, request_id=sub.request.public_id, now=now)


def test_freeze_unfreeze_close_with_illegal_transitions_refused(admin, checker, clock):
    client = individual(admin, now=clock.now())
    account = open_account(admin, checker, client, now=clock.now())
    now = clock.now()

    with pytest.raises(InvalidTransition) as bad:
        services.account_unfreeze(actor=admin, account_id=account.public_id, reason="x", now=now)
    assert bad.value.problem()["from"] == "active" and bad.value.problem()["to"] == "active"
    assert bad.value.code == "invalid_transition" and bad.value.status == 409

    _freeze(admin, checker, account, now)
    account.refresh_from_db()
    assert account.frozen and account.status == "active" and account.freeze_reason
    hkd = AccountCash.objects.get(account=account, currency="HKD")
    b = ledger.balances(actor=admin, account_id=hkd.ledger_account_id)
    assert b.debit_frozen and b.credit_frozen  # the ledger accounts are frozen too

    # a second freeze is refused at submission; so is closing a frozen account
    with pytest.raises(InvalidTransition) as bad:
        approvals.submit(
            actor=admin,
            action_type=ACCOUNT_FREEZE,
            payload={"account_id": str(account.public_id), "reason": "again"},
            now=now,
        )
    assert (bad.value.problem()["from"], bad.value.problem()["to"]) == ("frozen", "frozen")
    with pytest.raises(InvalidTransition) as bad:
        services.account_close(actor=admin, account_id=account.public_id, reason="x", now=now)
    assert (bad.value.problem()["from"], bad.value.problem()["to"]) == ("frozen", "closed")
    # no money moves on a frozen account
    with pytest.raises(AccountNotActive):
        move_cash(admin, checker, account, "deposit", "10.00", now=now)

    with pytest.raises(ValidationFailed) as bad:
        services.account_unfreeze(actor=admin, account_id=account.public_id, reason=" ", now=now)
    assert bad.value.errors[0].field == "reason"
    services.account_unfreeze(actor=admin, account_id=account.public_id, reason="cleared", now=now)
    account.refresh_from_db()
    assert not account.frozen
    assert not ledger.balances(actor=admin, account_id=hkd.ledger_account_id).debit_frozen

    services.account_close(actor=admin, account_id=account.public_id, reason="client left", now=now)
    account.refresh_from_db()
    assert account.status == "closed" and account.closed_at == now
    for action in ("freeze", "unfreeze", "close"):
        with pytest.raises(InvalidTransition):
            if action == "freeze":
                services.account_freeze_check(actor=admin, account_id=account.public_id, reason="x")
            elif action == "unfreeze":
                services.account_unfreeze(
                    actor=admin, account_id=account.public_id, reason="x", now=now
                )
            else:
                services.account_close(
                    actor=admin, account_id=account.public_id, reason="x", now=now
                )


def test_an_account_with_cash_cannot_close(admin, checker, clock):
    client = individual(admin, now=clock.now())
    account = open_account(admin, checker, client, now=clock.now())
    move_cash(admin, checker, account, "deposit", "100.50", now=clock.now(), currency="USD")
    with pytest.raises(AccountHasCash) as bad:
        services.account_close(
            actor=admin, account_id=account.public_id, reason="x", now=clock.now()
        )
    assert bad.value.data["currency"] == "USD"
    move_cash(admin, checker, account, "withdrawal", "100.5", now=clock.now(), currency="USD")
    services.account_close(actor=admin, account_id=account.public_id, reason="x", now=clock.now())


def test_client_close_normal_blocks_reregistration_for_three_months(admin, checker, clock):
    client = individual(admin, now=clock.now(), id_number="A123456(3)")
    account = open_account(admin, checker, client, now=clock.now())
    with pytest.raises(ClientHasOpenAccounts):
        services.client_close(
            actor=admin, client_id=client.public_id, kind="normal", reason="left", now=clock.now()
        )
    services.account_close(
        actor=admin, account_id=account.public_id, reason="left", now=clock.now()
    )
    with pytest.raises(ValidationFailed):
        services.client_close(
            actor=admin, client_id=client.public_id, kind="soft", reason="left", now=clock.now()
        )
    closed = services.client_close(
        actor=admin, client_id=client.public_id, kind="normal", reason="left", now=clock.now()
    )
    assert closed.reregister_from == _months_later(clock.now().date())
    with pytest.raises(InvalidTransition):
        services.client_unfreeze(
            actor=admin, client_id=client.public_id, reason="x", now=clock.now()
        )
    with pytest.raises(ReregistrationBlocked) as blocked:
        individual(admin, now=clock.now(), id_number="A123456(3)")
    assert blocked.value.data["reregister_from"] == closed.reregister_from.isoformat()
    clock.advance(days=93)
    again = individual(admin, now=clock.now(), id_number="A 123456 (3)")
    assert again.pk != client.pk and again.client_no != client.client_no


def test_client_closed_permanently_may_register_again_at_once(admin, clock):
    client = individual(admin, now=clock.now(), id_number="A123456(3)")
    services.client_close(
        actor=admin, client_id=client.public_id, kind="permanent", reason="asked", now=clock.now()
    )
    assert individual(admin, now=clock.now(), id_number="A123456(3)").status == "active"


def _months_later(day: dt.date) -> dt.date:
    from custodesk.brokerage.services.security import add_months

    return add_months(day, 3)
