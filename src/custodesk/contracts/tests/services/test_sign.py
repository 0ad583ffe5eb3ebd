"""Signing a contract (CT-SIGN / M-SIGN): checks, dual control, the sub-account."""

from __future__ import annotations

from typing import Any

import pytest

from custodesk.approvals import services as approvals
from custodesk.approvals.errors import InitiatorCannotApprove
from custodesk.audit.models import AuditEntry
from custodesk.contracts import services
from custodesk.contracts.models import Contract
from custodesk.core.errors import NotFound, PermissionDenied, ValidationFailed
from custodesk.identity.errors import InvalidVerificationCode
from custodesk.ledger.models import LedgerAccount
from custodesk.testing.governance import delivered_code

pytestmark = pytest.mark.django_db


def sign(actor: Any, market: Any, card: Any, clock: Any, **kw: Any) -> Any:
    args = {
        "member_code": "M0001",
        "currency": None,
        "agreement_version": market.agreement_version,
        "agreement_accepted": True,
        **kw,
    }
    return services.sign_submit(
        actor=actor, market_id=market.public_id, card_id=card.public_id, now=clock.now(), **args
    )


def rules(exc: ValidationFailed) -> set[tuple[str, str]]:
    return {(e.field, e.rule) for e in exc.errors}


def test_enterprise_operator_submits_reviewer_rejects_then_approves(
    market, enterprise, operator, reviewer, clock
):
    sub = sign(operator, market, enterprise.card, clock)
    assert not sub.executed and sub.request.status == "pending"
    assert not Contract.objects.exists()
    with pytest.raises(InitiatorCannotApprove):
        approvals.approve(actor=operator, request_id=sub.request.public_id, now=clock.now())
    approvals.reject(
        actor=reviewer,
        request_id=sub.request.public_id,
        reason="wrong member code",
        now=clock.now(),
    )
    assert not Contract.objects.exists()

    clock.advance(minutes=5)
    again = sign(operator, market, enterprise.card, clock, member_code="M0002")
    decision = approvals.approve(
        actor=reviewer, request_id=again.request.public_id, now=clock.now()
    )
    assert decision.executed
    c = Contract.objects.get()
    assert (c.status, c.member_code, c.submitted_by, c.approved_by) == (
        "active",
        "M0002",
        operator,
        reviewer,
    )
    assert c.agreement_version == market.agreement_version == 1
    assert c.agreement_accepted_at == again.request.created_at
    account = LedgerAccount.objects.get(pk=c.sub_ledger_account_id)
    assert account.kind == "member_sub" and account.currency == "CNY"
    assert account.debits_must_not_exceed_credits
    assert account.organisation_id == enterprise.org.pk
    assert AuditEntry.objects.filter(action="contracts.contract_sign").count() == 1


def test_the_reviewer_needs_the_review_permission(market, enterprise, operator, clock):
    from custodesk.contracts.tests.conftest import add_user

    plain = add_user(enterprise, "ent.nobody", None, now=clock.now())
    sub = sign(operator, market, enterprise.card, clock)
    with pytest.raises(Exception) as exc:
        approvals.approve(actor=plain, request_id=sub.request.public_id, now=clock.now())
    assert getattr(exc.value, "code", "") in {"not_found", "not_an_approver"}


def test_a_user_without_the_grant_cannot_submit(market, enterprise, clock):
    from custodesk.contracts.tests.conftest import add_user

    plain = add_user(enterprise, "ent.plain", None, now=clock.now())
    with pytest.raises(PermissionDenied):
        sign(plain, market, enterprise.card, clock)


def test_the_member_code_is_unique_per_market(market, other_market, enterprise, individual, clock):
    sign(individual.admin, market, individual.card, clock, **_sms(individual, clock))
    with pytest.raises(ValidationFailed) as exc:
        sign(enterprise.admin, market, enterprise.card, clock)
    assert ("member_code", "duplicate") in rules(exc.value)
    # the same code in another market is fine
    clock.advance(minutes=2)
    sub = sign(individual.admin, other_market, individual.card, clock, **_sms(individual, clock))
    assert sub.executed


def test_refusals_name_the_field_and_store_nothing(market, enterprise, clock):
    from custodesk.contracts.tests.conftest import open_member

    other = open_member(
        kind="enterprise",
        name="Other Co",
        id_number="91350100M000100Y44",
        mobile="13900000009",
        holder_name="Somebody Else",
        now=clock.now(),
    )
    with pytest.raises(ValidationFailed) as exc:
        sign(
            other.admin,
            market,
            other.card,
            clock,
            member_code="bad code!",
            agreement_version=0,
            agreement_accepted=False,
            currency="USD",
        )
    assert rules(exc.value) == {
        ("member_code", "pattern"),
        ("card_id", "holder_name_mismatch"),
        ("currency", "choice"),
        ("agreement_version", "outdated"),
        ("agreement_accepted", "required"),
    }
    with pytest.raises(NotFound):
        sign(other.admin, market, enterprise.card, clock)  # another member's card
    assert not Contract.objects.exists()


def _sms(member: Any, clock: Any, purpose: str = services.PURPOSE_SIGN) -> dict[str, Any]:
    ch = services.sms_code_send(actor=member.admin, purpose=purpose, now=clock.now())
    return {
        "challenge_id": ch.public_id,
        "sms_code": delivered_code(member.profile.mobile, clock=clock),
    }


def test_an_individual_signs_with_an_sms_code_at_once(market, other_market, individual, clock):
    with pytest.raises(ValidationFailed) as exc:
        sign(individual.admin, market, individual.card, clock)
    assert ("sms_code", "required") in rules(exc.value)
    ch = services.sms_code_send(actor=individual.admin, purpose="contract_sign", now=clock.now())
    code = delivered_code(individual.profile.mobile, clock=clock)
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(InvalidVerificationCode):
        sign(
            individual.admin,
            market,
            individual.card,
            clock,
            challenge_id=ch.public_id,
            sms_code=wrong,
        )
    assert not Contract.objects.exists()
    sub = sign(
        individual.admin, market, individual.card, clock, challenge_id=ch.public_id, sms_code=code
    )
    assert sub.executed and sub.request.auto_approved
    c = Contract.objects.get()
    assert c.approved_by is None and c.sub_ledger_account_id
    # the code is single use
    with pytest.raises(InvalidVerificationCode) as replay:
        sign(
            individual.admin,
            other_market,
            individual.card,
            clock,
            member_code="M0009",
            challenge_id=ch.public_id,
            sms_code=code,
        )
    assert replay.value.data.get("rule") == "code_used"


def test_a_second_contract_with_the_same_market_is_refused(market, individual, clock):
    sign(individual.admin, market, individual.card, clock, **_sms(individual, clock))
    clock.advance(minutes=2)
    with pytest.raises(ValidationFailed) as exc:
        sign(
            individual.admin,
            market,
            individual.card,
            clock,
            member_code="M0003",
            **_sms(individual, clock),
        )
    assert ("market_id", "already_signed") in rules(exc.value)


def test_two_members_waiting_with_the_same_code_only_the_first_approval_wins(
    market, enterprise, operator, reviewer, clock
):
    from custodesk.approvals.errors import PreconditionFailed
    from custodesk.contracts.tests.conftest import add_user, open_member

    other = open_member(
        kind="enterprise",
        name="Second Co",
        id_number="91350100M000100Y47",
        mobile="13900000008",
        now=clock.now(),
    )
    other_op = add_user(other, "second.operator", "custody_operator", now=clock.now())
    other_rv = add_user(other, "second.reviewer", "custody_reviewer", now=clock.now())
    first = sign(operator, market, enterprise.card, clock, member_code="SAME")
    second = sign(other_op, market, other.card, clock, member_code="SAME")
    approvals.approve(actor=reviewer, request_id=first.request.public_id, now=clock.now())
    with pytest.raises(PreconditionFailed) as exc:
        approvals.approve(actor=other_rv, request_id=second.request.public_id, now=clock.now())
    assert exc.value.data["cause"] == "validation_failed"
    assert Contract.objects.filter(member_code="SAME").count() == 1
