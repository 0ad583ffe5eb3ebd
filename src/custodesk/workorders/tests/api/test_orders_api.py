"""The work-order API over real HTTP: create (with an attachment, channel api), the
tabs' counts and filters, approve / reject / batch, an order decided in the approvals
inbox executed once it commits, message records, and bad input → 4xx problems."""

from __future__ import annotations

import base64
import hashlib

import pytest

from custodesk.brokerage.models import Client

pytestmark = pytest.mark.django_db(transaction=True)


def _signed(api_client, name):
    api = api_client()
    assert api.sign_in(name).status_code == 200
    return api


def test_create_list_count_approve_and_detail(api_client, admin, checker, make_client, clock):
    client, [account] = make_client(accounts=1)
    maker, boss = _signed(api_client, "admin"), _signed(api_client, "checker")
    pdf = b"%PDF-1.4 court order"
    r = maker.post("/workorders/orders", json={
        "kind": "freeze_account", "account_numbers": [account.number], "reason": "AML hold",
        "attachments": [{"name": "order.pdf", "content_type": "application/pdf",
                         "content_base64": base64.b64encode(pdf).decode()}],
    })  # fmt: skip
    assert r.status_code == 201, r.text
    order = r.json()
    assert (order["status"], order["channel"], order["accounts"]) == (
        "submitted", "api", [account.number]
    )  # fmt: skip
    [att] = order["attachments"]
    assert att["sha256"] == hashlib.sha256(pdf).hexdigest() and att["size"] == len(pdf)
    got = maker.get(f"/workorders/orders/{order['id']}/attachments/{att['id']}")
    assert got.status_code == 200 and got.content == pdf

    counts = maker.get("/workorders/orders/counts").json()
    assert counts["kind"]["freeze_account"] == 1 and counts["status"]["submitted"] == 1
    listed = maker.get("/workorders/orders", params={"target": account.number}).json()
    assert listed["count"] == 1 and listed["items"][0]["number"] == order["number"]
    assert maker.get("/workorders/orders", params={"creator": "checker"}).json()["count"] == 0

    own = maker.post(f"/workorders/orders/{order['id']}/approve", json={})
    assert own.status_code == 403 and own.json()["code"] == "initiator_cannot_approve"
    done = boss.post(f"/workorders/orders/{order['id']}/approve", json={"comment": "ok"})
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["status"] == "executed" and body["approved_by"] == "checker"
    assert [h["action"] for h in body["history"]] == ["create", "submit", "approve", "execute"]
    assert [m["template"] for m in body["messages"]] == ["workorders.account_frozen"] * 2

    records = maker.get(f"/workorders/clients/{client.client_no}/messages").json()
    assert {"workorders.account_frozen", "brokerage.account_opened"} <= {
        m["template"] for m in records
    }


def test_reject_batch_and_the_inbox_path(api_client, admin, checker, make_client, clock):
    maker, boss = _signed(api_client, "admin"), _signed(api_client, "checker")
    c1, _ = make_client(accounts=0)
    c2, _ = make_client(accounts=0)
    a = maker.post("/workorders/orders", json={"kind": "freeze_client", "client_no": c1.client_no,
                                               "reason": "x"}).json()  # fmt: skip
    no_reason = boss.post(f"/workorders/orders/{a['id']}/reject", json={"reason": ""})
    assert no_reason.status_code == 422
    rejected = boss.post(f"/workorders/orders/{a['id']}/reject", json={"reason": "No grounds"})
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["reject_reason"] == "No grounds"

    # decided in the approvals inbox: the order follows, executed after the commit
    b = maker.post(
        "/workorders/orders",
        json={
            "kind": "freeze_client",
            "client_no": c2.client_no,
            "reason": "y",
            "fields": {"include_accounts": False},
        },
    )
    b = b.json()
    via_inbox = boss.post(f"/approvals/requests/{b['approval_request_id']}/approve", json={})
    assert via_inbox.status_code == 200, via_inbox.text
    assert maker.get(f"/workorders/orders/{b['id']}").json()["status"] == "executed"
    assert Client.objects.get(pk=c2.pk).status == "frozen"
    u = maker.post(
        "/workorders/orders",
        json={"kind": "unfreeze_client", "client_no": c2.client_no, "reason": "cleared"},
    )
    u = u.json()
    via_inbox = boss.post(f"/approvals/requests/{u['approval_request_id']}/approve", json={})
    assert via_inbox.status_code == 200, via_inbox.text
    after = maker.get(f"/workorders/orders/{u['id']}").json()
    assert after["status"] == "executed", after  # run on commit (durable brokerage service)
    assert Client.objects.get(pk=c2.pk).status == "active"

    batch = boss.post(
        "/workorders/orders/batch",
        json={
            "order_ids": [a["id"], "00000000-0000-0000-0000-000000000000"],
            "decision": "approve",
        },
    )
    assert batch.status_code == 200
    assert [(x["ok"], x["code"]) for x in batch.json()] == [
        (False, "order_state"), (False, "not_found")
    ]  # fmt: skip


def test_bad_input_is_a_problem_naming_the_field(api_client, admin, make_client):
    client, _ = make_client(accounts=0)
    api = _signed(api_client, "admin")
    cases = [
        ({"kind": "nope", "client_no": client.client_no, "reason": "x"}, "kind"),
        ({"kind": "freeze_client", "client_no": "99999999", "reason": "x"}, "client_no"),
        ({"kind": "modify_contact", "client_no": client.client_no}, "fields"),
        ({"kind": "modify_contact", "client_no": client.client_no,
          "fields": {"contact_phone": "+85261234567"}}, "reason"),
        ({"kind": "modify_contact", "client_no": client.client_no, "reason": "r",
          "fields": {"contact_email": "not-mail"}}, "fields.contact_email"),
        ({"kind": "close_client", "client_no": client.client_no, "reason": "r",
          "fields": {"close_kind": "soon"}}, "fields.close_kind"),
        ({"kind": "freeze_account", "account_numbers": ["123456789"], "reason": "r"},
         "account_numbers.0"),
    ]  # fmt: skip
    for body, field in cases:
        r = api.post("/workorders/orders", json=body)
        assert r.status_code == 422, (body, r.text)
        assert field in [e["field"] for e in r.json()["errors"]], (body, r.json())
    assert api.get("/workorders/orders").json()["count"] == 0
    assert api.get("/workorders/orders/not-a-uuid").status_code == 422
