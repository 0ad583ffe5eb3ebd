"""The ledger is the institution's own: staff only.

Its permissions are declared ``staff_only``: a role of a member or market organisation
cannot be given them, and a user outside the staff organisation does not hold them even
if a role's stored list names them (data from before the rule, say) — neither over the
API nor in the console.  The staff's
auditor sees the ledger, refused attempts included.
"""

from __future__ import annotations

import pytest

from custodesk.core.errors import ValidationFailed
from custodesk.identity.models import Role
from custodesk.testing.fixtures import PASSWORD, grant_role
from custodesk.testing.governance import create_role

pytestmark = pytest.mark.django_db(transaction=True)

LEDGER = ["ledger.account.view", "ledger.transfer.create"]


def test_a_member_organisations_role_cannot_be_given_ledger_permissions(admin, member_org, clock):
    with pytest.raises(ValidationFailed) as caught:
        create_role(
            actor=admin,
            code="treasury",
            name="Treasury",
            permissions=["identity.user.view", *LEDGER],
            organisation_id=member_org.public_id,
            now=clock.now(),
        )
    [error] = caught.value.errors
    assert (error.field, error.rule) == ("permissions", "staff_only")
    assert "ledger.account.view" in str(error.message)
    assert not Role.objects.filter(organisation=member_org, code="treasury").exists()


@pytest.fixture
def member_with_old_ledger_role(admin, make_user, member_org, clock):
    role = create_role(
        actor=admin,
        code="treasury",
        name="Treasury",
        permissions=["identity.user.view"],
        organisation_id=member_org.public_id,
        now=clock.now(),
    )
    # a role stored before the rule existed still names the ledger's permissions
    Role.objects.filter(pk=role.pk).update(permissions=["identity.user.view", *LEDGER])
    clerk = make_user("memberclerk", organisation=member_org)
    grant_role(admin, clerk, "treasury", clock=clock)
    return clerk


def test_a_member_user_is_refused_over_the_api(api_client, admin, member_with_old_ledger_role):
    staff = api_client()
    assert staff.sign_in("admin").status_code == 200
    for code in ("SRC", "DST"):
        r = staff.post(
            "/ledger/accounts", json={"code": code, "kind": "member_sub", "currency": "HKD"}
        )
        assert r.status_code == 201, r.text

    member = api_client()
    assert member.sign_in("memberclerk").status_code == 200
    me = member.get("/me").json()
    assert "ledger.account.view" not in me["permissions"]
    assert "identity.user.view" in me["permissions"]
    assert member.get("/ledger/accounts").status_code == 403
    booked = member.post(
        "/ledger/transfers",
        json={"debit_account": "SRC", "credit_account": "DST", "amount": "1.00", "currency": "HKD"},
    )
    assert booked.status_code == 403 and booked.json()["code"] == "permission_denied"
    assert staff.get("/ledger/transfers").json()["items"] == []


def test_a_member_user_is_refused_in_the_console(client, member_with_old_ledger_role):
    client.post("/console/sign-in/", {"username": "memberclerk", "password": PASSWORD})
    assert client.get("/console/ledger/accounts/").status_code == 403


def test_the_staff_auditor_sees_the_ledger_and_its_refused_attempts(api_client, make_user):
    make_user("audrey", roles=["auditor"])
    auditor = api_client()
    assert auditor.sign_in("audrey").status_code == 200
    assert auditor.get("/ledger/accounts").status_code == 200
    assert auditor.get("/ledger/refused").status_code == 200
    booked = auditor.post(
        "/ledger/transfers",
        json={"debit_account": "A", "credit_account": "B", "amount": "1.00", "currency": "HKD"},
    )
    assert booked.status_code == 403  # read only
