from __future__ import annotations

import datetime as dt

import pytest

from custodesk.approvals import services as approvals
from custodesk.approvals.errors import InitiatorCannotApprove
from custodesk.brokerage import hooks
from custodesk.brokerage.approvals import ACCOUNT_OPEN
from custodesk.brokerage.errors import ClientNotActive
from custodesk.brokerage.models import Account, AccountCash
from custodesk.brokerage.services import numbers
from custodesk.core.errors import ValidationFailed
from custodesk.ledger import facade as ledger
from custodesk.testing.brokerage import individual, open_account, sent

pytestmark = pytest.mark.django_db


def _submit(admin, client, now, **extra):
    return approvals.submit(
        actor=admin,
        action_type=ACCOUNT_OPEN,
        payload={
            "client_id": str(client.public_id),
            "account_type": "cash",
            "base_currency": "HKD",
            **extra,
        },
        now=now,
    )


def test_opening_waits_for_a_second_person_then_opens_with_ledger_cash(admin, checker, clock):
    client = individual(admin, now=clock.now())
    sub = _submit(admin, client, clock.now())
    assert not sub.executed and sub.request.status == "pending"
    assert not Account.objects.exists()  # nothing opened before the approval
    with pytest.raises(InitiatorCannotApprove):
        approvals.approve(actor=admin, request_id=sub.request.public_id, now=clock.now())

    decision = approvals.approve(actor=checker, request_id=sub.request.public_id, now=clock.now())

    account = Account.objects.get(public_id=decision.result["account_id"])
    assert account.status == "active" and not account.frozen
    assert account.opened_on == clock.now().date()
    assert numbers.is_valid(numbers.ACCOUNT, account.number)
    cash = {c.currency: c for c in AccountCash.objects.filter(account=account)}
    assert set(cash) == {"CNY", "HKD", "USD"}
    led = ledger.account(actor=admin, account_id=cash["HKD"].ledger_account_id)
    assert (
        led.kind == "client_cash" and led.rule == ledger.BalanceRule.DEBITS_MUST_NOT_EXCEED_CREDITS
    )
    assert led.owner.id == str(account.public_id)


def test_opening_is_refused_for_a_frozen_client_and_bad_currency(admin, checker, clock):
    client = individual(admin, now=clock.now())
    with pytest.raises(ValidationFailed) as bad:
        _submit(admin, client, clock.now(), base_currency="EUR")
    assert bad.value.errors[0].field == "base_currency"
    with pytest.raises(ValidationFailed) as bad:
        _submit(admin, client, clock.now(), currencies=["USD"])
    assert bad.value.errors[0].rule == "base_currency"
    approvals.approve(
        actor=checker,
        request_id=approvals.submit(
            actor=admin,
            action_type="brokerage.client_freeze",
            payload={"client_id": str(client.public_id), "reason": "court order"},
            now=clock.now(),
        ).request.public_id,
        now=clock.now(),
    )
    with pytest.raises(ClientNotActive):
        _submit(admin, client, clock.now())


def test_numbers_carry_a_check_digit_and_are_never_reused(admin, checker, clock):
    client = individual(admin, now=clock.now())
    first = open_account(admin, checker, client, now=clock.now())
    second = open_account(admin, checker, client, now=clock.now(), account_type="margin")
    assert int(second.number[:-1]) == int(first.number[:-1]) + 1
    typo = first.number[:-2] + str((int(first.number[-2]) + 1) % 10) + first.number[-1]
    assert numbers.is_valid(numbers.ACCOUNT, first.number)
    assert not numbers.is_valid(numbers.ACCOUNT, typo)
    assert numbers.is_valid(numbers.CLIENT, client.client_no)


def test_sub_account_follows_its_main_accounts_type(admin, checker, clock):
    client = individual(admin, now=clock.now())
    main = open_account(admin, checker, client, now=clock.now(), account_type="margin")
    with pytest.raises(ValidationFailed) as bad:
        _submit(admin, client, clock.now(), parent_id=str(main.public_id))
    assert bad.value.errors[0].rule == "parent_type"
    sub = open_account(
        admin,
        checker,
        client,
        now=clock.now(),
        account_type="margin",
        parent_id=str(main.public_id),
    )
    assert sub.parent_id == main.pk


def test_the_account_opened_hooks_run_in_the_opening_transaction(admin, checker, clock):
    client = individual(admin, now=clock.now())
    seen: list[hooks.AccountOpened] = []

    def allocate(event: hooks.AccountOpened) -> None:
        seen.append(event)
        # a hook's writes commit with the account: here it records a remark in the audit log
        from custodesk.audit.services import record

        record(
            actor=event.actor,
            action="test.allocated",
            object_type="brokerage_account",
            object_id=event.account_public_id,
            now=event.now,
        )

    with hooks.registered(allocate):
        account = open_account(admin, checker, client, now=clock.now())
    assert [e.number for e in seen] == [account.number]
    assert seen[0].currencies == ("CNY", "HKD", "USD") and seen[0].actor == checker
    # the module's own hook told the client by SMS and e-mail
    assert set(sent("brokerage.account_opened")) == {
        ("sms", "+85291234567"),
        ("email", "chan@example.com"),
    }

    def refuse(event: hooks.AccountOpened) -> None:
        raise ValidationFailed.single("bcan", "exhausted", "No BCAN left")

    with hooks.registered(refuse), pytest.raises(Exception) as failed:
        open_account(admin, checker, client, now=clock.now(), account_type="margin")
    assert getattr(failed.value, "code", "") == "precondition_failed"
    assert Account.objects.filter(client=client).count() == 1  # the opening rolled back
    assert refuse not in hooks.account_opened_hooks()


def test_dates(clock):
    from custodesk.brokerage.services.security import add_months

    assert add_months(dt.date(2026, 11, 30), 3) == dt.date(2027, 2, 28)
