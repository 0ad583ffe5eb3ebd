"""Markets (MKT-ADMIN): created through the approval engine with their organisation,
ledger accounts and first agreement; edited, suspended, reactivated; audited."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from custodesk.approvals import services as approvals
from custodesk.approvals.errors import DuplicatePendingRequest, InitiatorCannotApprove
from custodesk.audit.models import AuditEntry
from custodesk.core.errors import IllegalTransition, PermissionDenied, ValidationFailed
from custodesk.identity.models import User
from custodesk.ledger import facade as ledger
from custodesk.markets import selectors, services
from custodesk.markets.models import Market, ServiceAgreement
from custodesk.notify.models import Message
from custodesk.testing.markets import create_market, market_payload

pytestmark = pytest.mark.django_db

CREATE = "markets.market_create"


def _submit(actor: Any, action: str, payload: dict[str, Any], clock: Any) -> Any:
    return approvals.submit(actor=actor, action_type=action, payload=payload, now=clock.now())


def test_create_waits_for_a_checker_then_opens_everything(
    admin: Any, officer: Any, clock: Any
) -> None:
    sub = _submit(admin, CREATE, market_payload("GBCE"), clock)
    assert not sub.executed and not Market.objects.filter(code="GBCE").exists()
    with pytest.raises(InitiatorCannotApprove):
        approvals.approve(actor=admin, request_id=sub.request.public_id, now=clock.now())
    decision = approvals.approve(actor=officer, request_id=sub.request.public_id, now=clock.now())
    assert decision.executed
    market = Market.objects.get(code="GBCE")
    assert market.status == "active" and market.currencies == ["CNY", "HKD"]
    # the market organisation and its first administrator
    org = market.organisation
    assert (org.kind, org.code, org.name) == ("market", "GBCE", "粤港大宗商品交易中心")
    admin_user = User.objects.get(username="gbce.admin")
    assert admin_user.organisation_id == org.pk and admin_user.must_change_password
    # summary and suspense accounts in every currency
    accounts = selectors.ledger_accounts(market)
    assert set(accounts) == {"CNY", "HKD"}
    for currency, row in accounts.items():
        summary = ledger.account(actor=officer, account_id=row.summary_account_id)
        suspense = ledger.account(actor=officer, account_id=row.suspense_account_id)
        assert (summary.kind, summary.currency, summary.hot) == ("market_summary", currency, True)
        assert (suspense.kind, suspense.currency) == ("market_suspense", currency)
        assert suspense.rule == ledger.BalanceRule.DEBITS_MUST_NOT_EXCEED_CREDITS
        assert summary.owner.organisation_id == org.pk
    assert market.summary_ledger_account_id == accounts["CNY"].summary_account_id
    # agreement version 1, in force from now
    assert market.agreement_version == 1
    agreement = selectors.current_agreement(market)
    assert agreement is not None and agreement.title == "银商结算通服务协议"
    # audited with the approval request; the administrator's password only in the outbox
    entry = AuditEntry.objects.get(action="market.create")
    assert entry.approval_request_id == str(sub.request.public_id)
    assert entry.actor_username == "olivia" and entry.after["currencies"] == ["CNY", "HKD"]
    message = Message.objects.get(template="notify.credentials")
    assert message.recipient == "admin@gbce.example.com"


def test_temporary_password_is_in_no_audit_row(admin: Any, officer: Any, clock: Any) -> None:
    from custodesk.testing.governance import delivered_password

    create_market(admin, officer, now=clock.now(), admin_language="en")
    password = delivered_password("admin@gbce.example.com", clock=clock)
    assert len(password) >= 10
    rows = AuditEntry.objects.values_list("before", "after")
    assert all(password not in str(row) for row in rows)


def test_duplicate_code_is_refused_naming_the_field(
    admin: Any, officer: Any, market: Market, clock: Any
) -> None:
    with pytest.raises(ValidationFailed) as err:
        _submit(admin, CREATE, market_payload("GBCE", admin_username="x.admin"), clock)
    assert ("code", "unique") in {(e.field, e.rule) for e in err.value.errors}
    # an organisation of that code counts too
    with pytest.raises(ValidationFailed) as err:
        _submit(admin, CREATE, market_payload("STAFF"), clock)
    assert ("code", "unique") in {(e.field, e.rule) for e in err.value.errors}


def test_two_pending_creations_of_one_code(admin: Any, officer: Any, clock: Any) -> None:
    _submit(admin, CREATE, market_payload("SZEX"), clock)
    with pytest.raises(DuplicatePendingRequest):
        _submit(admin, CREATE, market_payload("SZEX"), clock)


@pytest.mark.parametrize(
    ("changes", "field", "rule"),
    [
        ({"code": "gb"}, "code", "pattern"),
        ({"code": "1ABC"}, "code", "pattern"),
        ({"name": "  "}, "name", "required"),
        ({"summary_account_no": "12-34"}, "summary_account_no", "pattern"),
        ({"summary_account_name": ""}, "summary_account_name", "required"),
        ({"summary_bank": ""}, "summary_bank", "required"),
        ({"summary_branch_code": "999999999999"}, "summary_branch_code", "unknown"),
        ({"currencies": []}, "currencies", "required"),
        ({"currencies": ["EUR"]}, "currencies", "choice"),
        ({"currencies": ["CNY", "CNY"]}, "currencies", "duplicate"),
        ({"agreement_body": " "}, "agreement_body", "required"),
        ({"admin_email": "", "admin_phone": ""}, "admin_email", "no_contact"),
        ({"admin_email": "not-an-address"}, "admin_email", "email"),
        ({"admin_phone": "12ab"}, "admin_phone", "phone"),
        ({"admin_username": "9lives"}, "admin_username", "pattern"),
        ({"admin_username": "ADMIN"}, "admin_username", "unique"),
        ({"admin_full_name": " "}, "admin_full_name", "required"),
        ({"admin_language": "fr"}, "admin_language", "choice"),
    ],
)
def test_bad_market_is_refused_and_nothing_stored(
    admin: Any, clock: Any, changes: dict[str, Any], field: str, rule: str
) -> None:
    with pytest.raises(ValidationFailed) as err:
        _submit(admin, CREATE, market_payload("NEWM") | changes, clock)
    assert (field, rule) in {(e.field, e.rule) for e in err.value.errors}
    assert not Market.objects.exists()


def test_branch_from_the_directory_names_the_opening_bank(
    admin: Any, officer: Any, clock: Any
) -> None:
    from custodesk.banks.models import Branch

    branch = Branch.objects.filter(bank__code="102", city="广州市").first()
    assert branch is not None
    market = create_market(
        admin, officer, now=clock.now(), summary_bank="", summary_branch_code=branch.code
    )
    assert market.summary_branch_id == branch.pk and market.summary_bank == branch.name


def test_only_staff_with_the_permission_may_submit(
    make_user: Callable[..., Any], clock: Any
) -> None:
    clerk = make_user("clerk")
    with pytest.raises(PermissionDenied):
        _submit(clerk, CREATE, market_payload("NEWM"), clock)


def test_edit_adds_a_currency_and_is_audited(
    admin: Any, officer: Any, market: Market, clock: Any
) -> None:
    payload = {
        "market_id": str(market.public_id),
        "name": "粤港大宗商品交易中心（前海）",
        "summary_account_no": market.summary_account_no,
        "summary_account_name": market.summary_account_name,
        "summary_bank": market.summary_bank,
        "summary_branch_code": "",
        "b2b_review": True,
        "currencies": ["CNY", "HKD", "USD"],
    }
    sub = _submit(admin, "markets.market_update", payload, clock)
    assert sub.request.preview["after"]["b2b_review"] is True
    approvals.approve(actor=officer, request_id=sub.request.public_id, now=clock.now())
    market.refresh_from_db()
    assert market.b2b_review and market.currencies == ["CNY", "HKD", "USD"]
    assert set(selectors.ledger_accounts(market)) == {"CNY", "HKD", "USD"}
    entry = AuditEntry.objects.get(action="market.update")
    assert entry.before["b2b_review"] is False and entry.after["b2b_review"] is True
    assert entry.before["name"] == "粤港大宗商品交易中心"
    # removing a currency is refused; an edit that changes nothing too
    with pytest.raises(ValidationFailed) as err:
        _submit(admin, "markets.market_update", {**payload, "currencies": ["CNY"]}, clock)
    assert err.value.errors[0].rule == "cannot_remove"
    with pytest.raises(ValidationFailed) as err:
        _submit(admin, "markets.market_update", payload, clock)
    assert err.value.errors[0].rule == "unchanged"


def test_suspend_and_reactivate(admin: Any, officer: Any, market: Market, clock: Any) -> None:
    target = {"market_id": str(market.public_id), "reason": ""}
    with pytest.raises(ValidationFailed) as err:
        _submit(admin, "markets.market_suspend", target, clock)
    assert err.value.errors[0].field == "reason"
    with pytest.raises(IllegalTransition):
        _submit(admin, "markets.market_reactivate", target, clock)
    sub = _submit(admin, "markets.market_suspend", {**target, "reason": "监管检查"}, clock)
    approvals.approve(actor=officer, request_id=sub.request.public_id, now=clock.now())
    market.refresh_from_db()
    assert (market.status, market.status_reason) == ("suspended", "监管检查")
    assert market not in selectors.active_markets()
    with pytest.raises(IllegalTransition):
        _submit(admin, "markets.market_suspend", {**target, "reason": "again"}, clock)
    sub = _submit(admin, "markets.market_reactivate", target, clock)
    approvals.approve(actor=officer, request_id=sub.request.public_id, now=clock.now())
    market.refresh_from_db()
    assert market.status == "active" and market in selectors.active_markets()
    actions = list(
        AuditEntry.objects.filter(object_type="market")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions[-2:] == ["market.suspend", "market.reactivate"]


def test_rules_are_checked_again_when_the_checker_approves(
    admin: Any, officer: Any, clock: Any
) -> None:
    """An organisation took the code while the request waited: the approval fails and
    nothing is created."""
    from custodesk.approvals.errors import PreconditionFailed
    from custodesk.identity import services as identity

    sub = _submit(admin, CREATE, market_payload("LATE"), clock)
    identity.organisation_create(
        actor=admin, code="LATE", name="Late Member Ltd", kind="member", now=clock.now()
    )
    with pytest.raises(PreconditionFailed):
        approvals.approve(actor=officer, request_id=sub.request.public_id, now=clock.now())
    assert not Market.objects.filter(code="LATE").exists()
    assert not User.objects.filter(username="late.admin").exists()


def test_approval_policy_a_configured_flow_replaces_the_default(
    admin: Any, officer: Any, make_user: Callable[..., Any], clock: Any
) -> None:
    """Default: one checker; a flow asking two levels makes it two."""
    from custodesk.approvals import flows
    from custodesk.testing.governance import configure_flow

    sub = _submit(admin, CREATE, market_payload("ONEC"), clock)
    assert sub.request.level_count == 1
    configure_flow(
        actor=admin,
        action_type=CREATE,
        levels=[
            flows.LevelInput(name="officer", role_codes=["market_officer"]),
            flows.LevelInput(name="head", role_codes=["admin"]),
        ],
        now=clock.now(),
    )
    sub = _submit(officer, CREATE, market_payload("TWOC"), clock)
    assert sub.request.level_count == 2


def test_publish_agreement_version(admin: Any, market: Market, clock: Any) -> None:
    clock.advance(days=3)
    agreement = services.agreement_publish(
        actor=admin,
        market_id=market.public_id,
        title="服务协议（2027版）",
        body="条款……",
        now=clock.now(),
    )
    market.refresh_from_db()
    assert agreement.version == market.agreement_version == 2
    assert [a.version for a in selectors.agreements(market)] == [2, 1]
    assert ServiceAgreement.objects.get(market=market, version=1).title == "银商结算通服务协议"
    assert AuditEntry.objects.filter(action="market.agreement_publish").count() == 2
    with pytest.raises(ValidationFailed) as err:
        services.agreement_publish(
            actor=admin, market_id=market.public_id, title="", body="", now=clock.now()
        )
    assert {e.field for e in err.value.errors} == {"title", "body"}


def test_edit_preview_names_the_new_branch(admin: Any, market: Market, clock: Any) -> None:
    from custodesk.banks.models import Branch

    branch = Branch.objects.filter(bank__code="105", province="广东省").first()
    assert branch is not None
    payload = {
        "market_id": str(market.public_id),
        "name": market.name,
        "summary_account_no": market.summary_account_no,
        "summary_account_name": market.summary_account_name,
        "summary_bank": "",
        "summary_branch_code": branch.code,
        "b2b_review": market.b2b_review,
        "currencies": market.currencies,
    }
    sub = _submit(admin, "markets.market_update", payload, clock)
    preview = sub.request.preview
    assert preview["before"]["summary_branch_code"] == ""
    assert preview["after"]["summary_branch_code"] == branch.code
    assert preview["after"]["summary_bank"] == branch.name
