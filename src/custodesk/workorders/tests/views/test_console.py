"""The work-order centre's console pages (Django test client): tabs with counts and
filters, a new order per kind (prefilled from an account), the detail with its
decisions, batch results, message records, and no access without the permission."""

from __future__ import annotations

import pytest

from custodesk.testing.fixtures import PASSWORD
from custodesk.workorders import services
from custodesk.workorders.models import WorkOrder

pytestmark = pytest.mark.django_db


def sign_in(client, username):
    answer = client.post("/console/sign-in/", {"username": username, "password": PASSWORD})
    assert answer.status_code == 302


def test_centre_new_detail_reject_and_batch(client, admin, checker, make_client, clock):
    c1, [a1] = make_client(accounts=1)
    c2, [a2] = make_client(accounts=1, phone="+85261234001")
    services.order_create(actor=checker, kind="freeze_account", account_numbers=[a2.number],
                          reason="checker's own", now=clock.now())  # fmt: skip
    sign_in(client, "admin")
    page = client.get("/console/workorders/?status=submitted")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="kind-freeze_account"' in html and "WO00000001" in html

    chooser = client.get(f"/console/workorders/new/?account={a1.number}")
    assert 'data-testid="kind-freeze_client"' in chooser.content.decode()
    form = client.get(f"/console/workorders/new/?kind=freeze_client&account={a1.number}")
    assert f'value="{c1.client_no}"' in form.content.decode()  # the account's client
    bad = client.post("/console/workorders/new/?kind=freeze_client",
                      {"client_no": c1.client_no, "reason": ""})  # fmt: skip
    assert bad.status_code == 200 and WorkOrder.objects.count() == 1
    made = client.post("/console/workorders/new/?kind=freeze_client",
                       {"client_no": c1.client_no, "reason": "Court order",
                        "f_include_accounts": "on"})  # fmt: skip
    assert made.status_code == 302
    order = WorkOrder.objects.get(client=c1)
    assert order.status == "submitted" and order.fields == {"include_accounts": True}

    # the admin decides the checker's order: rejection with its reason
    other = WorkOrder.objects.get(client=c2)
    client.post(f"/console/workorders/{other.public_id}/reject/", {"text": "Not enough"})
    other.refresh_from_db()
    assert (other.status, other.reject_reason) == ("rejected", "Not enough")
    detail = client.get(f"/console/workorders/{other.public_id}/").content.decode()
    assert 'data-testid="reject-reason"' in detail and "Not enough" in detail
    assert 'data-testid="approval-link"' in detail

    # batch: the admin's own order is refused with the reason
    result = client.post(
        "/console/workorders/batch/", {"ids": [str(order.public_id)], "decision": "approve"}
    )
    text = result.content.decode()
    assert "0 of 1 done." in text and "initiator_cannot_approve" in text
    empty = client.post("/console/workorders/batch/", {"decision": "approve"})
    assert 'data-testid="batch-error"' in empty.content.decode()

    records = client.get(f"/console/workorders/clients/{c1.client_no}/messages/")
    assert "brokerage.account_opened" in records.content.decode()
    # the same records are a tab of the account detail (brokerage extensions)
    page = client.get(f"/console/brokerage/accounts/{a1.number}/?tab=messages").content.decode()
    assert 'data-testid="tab-messages"' in page and 'data-testid="tab-body-messages"' in page
    assert "brokerage.account_opened" in page
    partial = client.get(
        f"/console/brokerage/accounts/{a1.number}/?tab=messages&partial=tab", HTTP_HX_REQUEST="1"
    ).content.decode()
    assert partial.startswith('<section data-testid="tab-body-messages"')
    assert "brokerage.account_opened" in partial


def test_filters_and_no_access_without_the_permission(client, admin, make_user, make_client, clock):
    _c, [a] = make_client(accounts=1)
    services.order_create(actor=admin, kind="freeze_account", account_numbers=[a.number],
                          reason="r", now=clock.now())  # fmt: skip
    make_user("viewer", roles=["broker_viewer"])
    sign_in(client, "admin")
    assert "WO00000001" in client.get(f"/console/workorders/?target={a.number}").content.decode()
    assert "WO00000001" not in client.get("/console/workorders/?creator=nobody").content.decode()
    assert (
        "WO00000001" not in client.get("/console/workorders/?date_from=2030-01-01").content.decode()
    )
    assert client.get("/console/workorders/?date_from=garbage").status_code == 200
    client.post("/console/sign-out/")
    sign_in(client, "viewer")
    assert client.get("/console/workorders/").status_code == 403
    # without the centre's permission the detail has no message tab, and asking for it
    # shows the first tab
    page = client.get(f"/console/brokerage/accounts/{a.number}/?tab=messages").content.decode()
    assert 'data-testid="tab-messages"' not in page and 'data-testid="tab-body-assets"' in page
