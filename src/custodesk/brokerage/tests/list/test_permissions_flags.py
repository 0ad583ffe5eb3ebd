"""ACC-PERM and ACC-FLAG services: dual-controlled permission change audited with before
and after, the account-type rule, catalogue edits; bulk flags answering per account."""

from __future__ import annotations

from typing import Any

import pytest

from custodesk.approvals import services as approvals
from custodesk.audit.models import AuditEntry
from custodesk.brokerage.approvals_list import PERMISSIONS_CHANGE
from custodesk.brokerage.models import AccountFlagAssignment, AccountPermission
from custodesk.brokerage.selectors import permissions as rights
from custodesk.brokerage.services import flags as flag_svc
from custodesk.brokerage.services import permissions as perm_svc
from custodesk.core.errors import ValidationFailed
from custodesk.testing.brokerage_list import build

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(admin: Any, clock: Any) -> dict[str, Any]:
    return build(clock.now())


def _submit(
    actor: Any,
    clock: Any,
    account: str,
    changes: list[dict[str, Any]],
    reason: str = "client asked",
) -> Any:
    return approvals.submit(
        actor=actor,
        action_type=PERMISSIONS_CHANGE,
        payload={"account": account, "changes": changes, "reason": reason},
        now=clock.now(),
    )


def test_permission_change_waits_for_a_second_person_then_is_audited(
    book: Any, admin: Any, make_user: Any, clock: Any
) -> None:
    checker = make_user("checker", roles=["admin"])
    sub = _submit(
        admin,
        clock,
        "100000001",
        [{"product": "HK_EQ", "enabled": True}, {"product": "US_EQ", "enabled": True}],
    )
    assert not sub.executed and sub.request.status == "pending"
    assert not AccountPermission.objects.exists()  # nothing before the approval
    decision = approvals.approve(actor=checker, request_id=sub.request.public_id, now=clock.now())
    assert decision.executed
    state = rights.account_rights(actor=admin, account_number="100000001", today=clock.now().date())
    in_force = {r["product"] for r in state["rights"] if r["in_force"]}
    assert in_force == {"HK_EQ", "US_EQ"}
    entry = AuditEntry.objects.get(action="brokerage.trading_permissions.change")
    assert entry.actor_username == "checker"
    assert entry.approval_request_id == str(sub.request.public_id)
    assert entry.before == {
        "account": "100000001",
        "permissions": {
            "HK_EQ": {"enabled": False, "effective_from": None},
            "US_EQ": {"enabled": False, "effective_from": None},
        },
    }
    assert entry.after["permissions"]["HK_EQ"] == {"enabled": True, "effective_from": None}
    assert entry.reason == "client asked"


def test_maker_cannot_approve_own_permission_change(book: Any, admin: Any, clock: Any) -> None:
    sub = _submit(admin, clock, "100000001", [{"product": "HK_EQ", "enabled": True}])
    with pytest.raises(Exception) as exc:
        approvals.approve(actor=admin, request_id=sub.request.public_id, now=clock.now())
    assert getattr(exc.value, "status", 0) in (403, 409)
    assert not AccountPermission.objects.exists()


def test_cash_account_cannot_get_a_margin_product(book: Any, admin: Any, clock: Any) -> None:
    with pytest.raises(ValidationFailed) as exc:
        _submit(admin, clock, "100000001", [{"product": "MARGIN_FIN", "enabled": True}])
    err = exc.value.errors[0]
    assert (err.field, err.rule) == ("changes[0].product", "account_type_unsupported")
    assert "margin" in str(err.message)


def test_margin_account_can_get_it_and_effective_date_counts(
    book: Any, admin: Any, make_user: Any, clock: Any
) -> None:
    checker = make_user("checker", roles=["admin"])
    today = clock.now().date()
    later = today.replace(year=today.year + 1)
    sub = _submit(
        admin,
        clock,
        "100000002",
        [
            {"product": "MARGIN_FIN", "enabled": True},
            {"product": "HK_FUT", "enabled": True, "effective_from": later.isoformat()},
        ],
    )
    approvals.approve(actor=checker, request_id=sub.request.public_id, now=clock.now())
    state = {
        r["product"]: r
        for r in rights.account_rights(actor=admin, account_number="100000002", today=today)[
            "rights"
        ]
    }
    assert state["MARGIN_FIN"]["in_force"] and not state["HK_FUT"]["in_force"]
    assert state["HK_FUT"]["enabled"] and state["HK_FUT"]["effective_from"] == later
    future = {
        r["product"]: r
        for r in rights.account_rights(actor=admin, account_number="100000002", today=later)[
            "rights"
        ]
    }
    assert future["HK_FUT"]["in_force"]


@pytest.mark.parametrize(
    ("account", "changes", "reason", "field", "rule"),
    [
        ("100000001", [{"product": "NOPE", "enabled": True}], "x", "changes[0].product", "unknown"),
        ("100000001", [{"product": "HK_EQ", "enabled": False}], "x", "changes", "unchanged"),
        ("100000001", [{"product": "HK_EQ", "enabled": True}], " ", "reason", "required"),
        ("100000004", [{"product": "HK_EQ", "enabled": True}], "x", "account", "account_closed"),
        (
            "100000001",
            [{"product": "HK_EQ", "enabled": True, "effective_from": "2001-01-01"}],
            "x",
            "changes[0].effective_from",
            "past",
        ),
    ],
)
def test_bad_permission_changes_are_refused(
    book: Any,
    admin: Any,
    clock: Any,
    account: str,
    changes: Any,
    reason: str,
    field: str,
    rule: str,
) -> None:
    with pytest.raises(ValidationFailed) as exc:
        _submit(admin, clock, account, changes, reason)
    assert (field, rule) in [(e.field, e.rule) for e in exc.value.errors]


def test_product_catalogue_is_seeded_and_editable(book: Any, admin: Any, clock: Any) -> None:
    codes = [p.code for p in rights.products()]
    assert {
        "HK_EQ",
        "CN_NB_SH",
        "CN_NB_SZ",
        "US_EQ",
        "HK_OPT",
        "HK_FUT",
        "FUNDS",
        "BONDS",
        "MARGIN_FIN",
    } <= set(codes)
    p = perm_svc.product_create(
        actor=admin,
        code="VA",
        name="Virtual assets",
        name_hant="虛擬資產",
        name_hans="虚拟资产",
        account_types=["cash"],
        now=clock.now(),
    )
    assert p.account_types == ["cash"] and not p.margin_only
    perm_svc.product_update(
        actor=admin,
        code="VA",
        name="Virtual assets",
        account_types=["margin"],
        active=False,
        now=clock.now(),
    )
    entry = AuditEntry.objects.get(action="brokerage.product.update")
    assert entry.before["account_types"] == ["cash"] and entry.after["active"] is False
    with pytest.raises(ValidationFailed) as exc:
        perm_svc.product_create(
            actor=admin, code="va", name="", account_types=["gold"], now=clock.now()
        )
    assert {e.field for e in exc.value.errors} == {"code", "name", "account_types"}


def test_bulk_flag_answers_per_account_and_audits_changes(
    book: Any, admin: Any, clock: Any
) -> None:
    results = flag_svc.flags_set(
        actor=admin,
        flag_code="VIP",
        account_numbers=["100000001", "100000002", "999999999", "100000002"],
        reason="campaign",
        now=clock.now(),
    )
    assert [(r.account, r.outcome) for r in results] == [
        ("100000001", "already_set"),
        ("100000002", "set"),
        ("999999999", "not_found"),
    ]
    entry = AuditEntry.objects.get(action="brokerage.account.flag_set")
    assert entry.object_repr == "100000002"
    assert entry.before == {"flags": ["ESOP"]} and entry.after == {"flags": ["ESOP", "VIP"]}
    results = flag_svc.flags_unset(
        actor=admin, flag_code="VIP", account_numbers=["100000001", "100000004"], now=clock.now()
    )
    assert [r.outcome for r in results] == ["unset", "not_set"]
    assert sorted(
        AccountFlagAssignment.objects.filter(flag__code="VIP").values_list(
            "account__number", flat=True
        )
    ) == ["100000002", "100000003"]


def test_flag_definition_rules(book: Any, admin: Any, clock: Any) -> None:
    with pytest.raises(ValidationFailed) as exc:
        flag_svc.flag_create(
            actor=admin,
            code="STAFF",
            name="Staff",
            name_hant="員工",
            name_hans="",
            colour="red",
            now=clock.now(),
        )
    assert {(e.field, e.rule) for e in exc.value.errors} == {
        ("name_hans", "required"),
        ("colour", "colour"),
    }
    f = flag_svc.flag_create(
        actor=admin,
        code="STAFF",
        name="Staff",
        name_hant="員工",
        name_hans="员工",
        colour="#12AB9f",
        now=clock.now(),
    )
    assert f.colour == "#12ab9f"
    flag_svc.flag_update(
        actor=admin,
        code="STAFF",
        name="Staff",
        name_hant="員工",
        name_hans="员工",
        colour="#000000",
        active=False,
        now=clock.now(),
    )
    with pytest.raises(ValidationFailed) as exc:
        flag_svc.flags_set(
            actor=admin, flag_code="STAFF", account_numbers=["100000001"], now=clock.now()
        )
    assert exc.value.errors[0].rule == "inactive"
