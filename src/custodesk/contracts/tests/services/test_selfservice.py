"""The member's own data: bound card (M-CARD), member data (SELF-INFO), mobile
(SELF-PHONE), closing (CLOSE)."""

from __future__ import annotations

from typing import Any

import pytest

from custodesk.audit.models import AuditEntry
from custodesk.contracts import selfservice, services
from custodesk.contracts.errors import (
    CardMovedFundsToday,
    MemberHasContracts,
)
from custodesk.contracts.models import Contract
from custodesk.contracts.tests.conftest import BAD_CARD, GOOD_CARD_2, deposit, withdraw
from custodesk.core.errors import PermissionDenied, ValidationFailed
from custodesk.identity.errors import InvalidVerificationCode
from custodesk.identity.models import User
from custodesk.members.errors import CardAuthenticationFailed
from custodesk.members.models import BoundCard
from custodesk.testing.governance import delivered_code

pytestmark = pytest.mark.django_db


def code_for(member: Any, purpose: str, clock: Any, actor: Any = None) -> dict[str, Any]:
    user = actor or member.admin
    ch = services.sms_code_send(actor=user, purpose=purpose, now=clock.now())
    return {"challenge_id": ch.public_id, "sms_code": delivered_code(ch.phone, clock=clock)}


def signed(member: Any, market: Any, clock: Any) -> Contract:
    sub = services.sign_submit(
        actor=member.admin,
        market_id=market.public_id,
        member_code="IND01",
        card_id=member.card.public_id,
        currency=None,
        agreement_version=market.agreement_version,
        agreement_accepted=True,
        now=clock.now(),
        **code_for(member, services.PURPOSE_SIGN, clock),
    )
    assert sub.executed
    return Contract.objects.get(member=member.profile)


def change_card(member: Any, clock: Any, number: str = GOOD_CARD_2, **kw: Any) -> BoundCard:
    args = {"bank_code": "104", "phone": member.profile.mobile, **kw}
    if "challenge_id" not in args:
        args.update(code_for(member, selfservice.PURPOSE_CARD, clock))
    return selfservice.card_change(
        actor=member.admin,
        card_number=number,
        now=clock.now(),
        business_date=clock.business_date(),
        **args,
    )


def test_card_change_keeps_the_history_and_moves_the_contracts(individual, market, clock):
    contract = signed(individual, market, clock)
    clock.advance(minutes=2)
    card = change_card(individual, clock)
    cards = {c.card_number: c for c in BoundCard.objects.filter(member=individual.profile)}
    assert cards[individual.card.card_number].status == "replaced"
    assert cards[individual.card.card_number].replaced_at == clock.now()
    assert cards[GOOD_CARD_2].status == "current" and card.holder_name == "Wang Fang"
    contract.refresh_from_db()
    assert contract.card == card
    row = AuditEntry.objects.get(action="contracts.card_change")
    assert GOOD_CARD_2 not in str(row.after) and "0017" in str(row.after)


def test_card_change_refused_on_a_day_with_a_deposit(individual, market, clock):
    contract = signed(individual, market, clock)
    deposit(
        market, contract.sub_ledger_account_id, "5.00", now=clock.now(), day=clock.business_date()
    )
    with pytest.raises(CardMovedFundsToday):
        change_card(individual, clock)
    assert BoundCard.objects.filter(member=individual.profile).count() == 1
    withdraw(
        market, contract.sub_ledger_account_id, "5.00", now=clock.now(), day=clock.business_date()
    )
    clock.advance(days=1)
    change_card(individual, clock)


def test_a_failing_card_authentication_changes_nothing(individual, clock):
    with pytest.raises(CardAuthenticationFailed) as exc:
        change_card(individual, clock, number=BAD_CARD)
    assert exc.value.data == {"field": "card_number", "reason": "card_name_mismatch"}
    assert BoundCard.objects.get(member=individual.profile).status == "current"


def test_a_bad_input_consumes_no_code(individual, clock):
    code = code_for(individual, selfservice.PURPOSE_CARD, clock)
    with pytest.raises(ValidationFailed) as exc:
        change_card(individual, clock, number="123", bank_code="999", **code)
    assert {(e.field, e.rule) for e in exc.value.errors} >= {
        ("card_number", "pattern"),
        ("bank_code", "unknown"),
    }
    change_card(individual, clock, **code)  # the same code still works


def test_info_change_needs_the_code_and_is_audited(enterprise, clock):
    with pytest.raises(ValidationFailed):
        selfservice.info_change(
            actor=enterprise.admin,
            changes={"address": "2 Bund Road"},
            challenge_id=None,
            sms_code=None,
            now=clock.now(),
        )
    with pytest.raises(ValidationFailed) as refused:
        selfservice.info_change(
            actor=enterprise.admin,
            changes={"name": "New Name", "email": "not-an-email"},
            challenge_id=None,
            sms_code=None,
            now=clock.now(),
        )
    assert {(e.field, e.rule) for e in refused.value.errors} == {
        ("name", "not_editable"),
        ("email", "email"),
    }
    profile = selfservice.info_change(
        actor=enterprise.admin,
        changes={"address": "2 Bund Road", "contact_name": "Zhang San"},
        now=clock.now(),
        **code_for(enterprise, selfservice.PURPOSE_INFO, clock),
    )
    assert profile.address == "2 Bund Road"
    row = AuditEntry.objects.get(action="contracts.member_info_change")
    assert (
        row.before["address"] == "1 Bund Road, Shanghai" and row.after["address"] == "2 Bund Road"
    )


def test_an_operator_cannot_maintain_the_member(enterprise, operator, clock):
    with pytest.raises(PermissionDenied):
        selfservice.info_change(
            actor=operator,
            changes={"address": "x"},
            challenge_id=None,
            sms_code=None,
            now=clock.now(),
        )


def test_phone_change_code_goes_to_the_new_number(individual, clock):
    new = "13700000003"
    ch = selfservice.phone_code_send(actor=individual.admin, new_phone=new, now=clock.now())
    code = delivered_code(new, clock=clock)
    with pytest.raises(ValidationFailed):
        selfservice.phone_change(
            actor=individual.admin,
            new_phone=new,
            card_number=GOOD_CARD_2,  # not the bound card
            challenge_id=ch.public_id,
            sms_code=code,
            now=clock.now(),
        )
    done = selfservice.phone_change(
        actor=individual.admin,
        new_phone=new,
        card_number=individual.card.card_number,
        challenge_id=ch.public_id,
        sms_code=code,
        now=clock.now(),
    )
    assert done.profile.mobile == new and done.card.phone == new
    assert User.objects.get(pk=individual.admin.pk).phone == new


def test_phone_change_is_for_individuals(enterprise, clock):
    with pytest.raises(ValidationFailed) as exc:
        selfservice.phone_code_send(
            actor=enterprise.admin, new_phone="13700000004", now=clock.now()
        )
    assert exc.value.errors[0].rule == "individual_only"


def test_close_only_without_contracts_and_balances(individual, market, clock):
    contract = signed(individual, market, clock)
    with pytest.raises(MemberHasContracts):
        selfservice.close_registration(
            actor=individual.admin, challenge_id=None, sms_code=None, now=clock.now()
        )
    clock.advance(minutes=2)
    services.cancel_submit(
        actor=individual.admin,
        contract_id=contract.public_id,
        now=clock.now(),
        business_date=clock.business_date(),
        **code_for(individual, services.PURPOSE_CANCEL, clock),
    )
    clock.advance(minutes=2)
    with pytest.raises(InvalidVerificationCode):
        selfservice.close_registration(
            actor=individual.admin,
            challenge_id=code_for(individual, selfservice.PURPOSE_CLOSE, clock)["challenge_id"],
            sms_code="999999",
            now=clock.now(),
        )
    clock.advance(minutes=2)
    profile = selfservice.close_registration(
        actor=individual.admin,
        now=clock.now(),
        **code_for(individual, selfservice.PURPOSE_CLOSE, clock),
    )
    assert profile.status == "closed" and profile.organisation.status == "closed"
    user = User.objects.get(pk=individual.admin.pk)
    assert user.status == "inactive" and not user.is_active
    assert Contract.objects.filter(member=individual.profile).count() == 1  # data kept
    rows = AuditEntry.objects.filter(action__in=["user.deactivate", "organisation.close"])
    assert rows.count() == 2
    for r in rows:  # named by id (the test builder's e-mail addresses hold the names)
        assert user.username not in r.object_repr
        assert "username" not in (r.before or {}) and "username" not in (r.after or {})


def test_close_refused_while_money_is_held(individual, market, clock):
    # a cancelled contract's sub-account was closed at zero, so only a contract in force
    # can hold money: its contract refuses the closing first
    contract = signed(individual, market, clock)
    deposit(
        market, contract.sub_ledger_account_id, "1.00", now=clock.now(), day=clock.business_date()
    )
    with pytest.raises(MemberHasContracts):
        selfservice.close_registration(
            actor=individual.admin, challenge_id=None, sms_code=None, now=clock.now()
        )
    assert Contract.objects.get(member=individual.profile).status == "active"
