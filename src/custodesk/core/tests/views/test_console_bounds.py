"""The console's forms and filters take the inputs that once answered 500 (issue 10, §2)
and answer the page with the field's error instead, changing nothing."""

from __future__ import annotations

import pytest

from custodesk.approvals.models import ApprovalFlow
from custodesk.ledger import services
from custodesk.ledger.models import AccountFreeze
from custodesk.testing.fixtures import PASSWORD

pytestmark = pytest.mark.django_db

HUGE = "1e999999999"


@pytest.fixture
def signed_in(client, admin, clock):
    services.account_open(
        actor=None, code="M-001", kind="member_sub", currency="HKD", now=clock.now()
    )
    client.post("/console/sign-in/", {"username": "admin", "password": PASSWORD})
    return client


@pytest.mark.parametrize("value", [HUGE, "9" * 5000, "NaN", "1.001", "-5"])
def test_transfer_filters_with_an_unreadable_amount_show_the_error(signed_in, value):
    for name in ("amount_min", "amount_max"):
        page = signed_in.get("/console/ledger/transfers/", {name: value})
        assert page.status_code == 200
        assert page.context["form"].errors[name]


def test_refused_attempts_with_a_huge_page_marker_show_the_newest(signed_in):
    for after in ("9" * 30, "١٢"):
        assert signed_in.get("/console/ledger/refused/", {"after": after}).status_code == 200


def test_a_freeze_with_an_unreadable_amount_is_an_error_on_the_form(signed_in):
    for amount in (HUGE, "9" * 5000, "92233720368547758.08"):
        page = signed_in.post(
            "/console/ledger/accounts/M-001/freeze/",
            {"kind": "amount", "amount": amount, "reason_code": "COURT"},
        )
        assert page.status_code == 200
        assert page.context["form"].errors["amount"]
    assert not AccountFreeze.objects.exists()


def test_a_flow_out_of_bounds_is_an_error_on_the_form(signed_in):
    form = {
        "mode": "review",
        "expiry_hours": "72",
        "levels-TOTAL_FORMS": "1",
        "levels-INITIAL_FORMS": "0",
        "levels-MIN_NUM_FORMS": "0",
        "levels-MAX_NUM_FORMS": "6",
        "levels-0-name": "checker",
        "levels-0-role_codes": ["admin"],
        "levels-0-required_approvals": "1",
        "levels-0-forbid_initiator": "on",
    }
    url = "/console/approvals/flows/identity.role_grant/"
    for change, field in [
        ({"expiry_hours": str(10**9)}, "expiry_hours"),
        ({"levels-0-min_amount": HUGE, "levels-0-currency": "HKD"}, "min_amount"),
        ({"levels-0-required_approvals": str(10**6)}, "required_approvals"),
    ]:
        page = signed_in.post(url, {**form, **change})
        assert page.status_code == 200, change
        errors = page.context["form"].errors | page.context["formset"].forms[0].errors
        assert field in errors, (change, errors)
    assert not ApprovalFlow.objects.filter(action_type="identity.role_grant").exists()
