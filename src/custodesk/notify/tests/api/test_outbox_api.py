"""The outbox over real HTTP: message records in keyset pages with filters, one
message with its text (secrets masked), retry now and give up (audited), staff only."""

from __future__ import annotations

import pytest

from custodesk.audit.models import AuditEntry
from custodesk.identity.models import Role
from custodesk.testing.fixtures import grant_role
from custodesk.testing.governance import create_role

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "Tmp-Pw-0b5e27d1XQ"


@pytest.fixture
def staff(api_client, admin):
    client = api_client()
    assert client.sign_in("admin").status_code == 200
    return client


def test_records_in_keyset_pages_with_filters_and_never_a_secret(staff, enqueue, deliver, clock):
    for i in range(3):
        enqueue(channel="sms", template="notify.test", recipient=f"+8529000000{i}",
                context={"note": f"n{i}"})  # fmt: skip
        clock.advance(seconds=1)
    cred = enqueue(channel="email", template="notify.credentials", recipient="amy@example.com",
                   language="zh_Hant", context={"username": "amy"},
                   secrets={"password": PASSWORD})  # fmt: skip
    clock.advance(seconds=1)
    enqueue(channel="email", template="notify.test", recipient="bo@example.com",
            context={"note": "x"})  # fmt: skip
    answers = []

    first = staff.get("/notify/messages", params={"limit": 2})
    answers.append(first.text)
    page = first.json()
    assert [m["recipient"] for m in page["items"]] == ["bo@example.com", "amy@example.com"]
    assert page["items"][0]["status"] == "pending" and page["items"][0]["attempts"] == 0
    second = staff.get("/notify/messages", params={"limit": 2, "after": page["next_after"]}).json()
    assert [m["recipient"] for m in second["items"]] == ["+85290000002", "+85290000001"]
    third = staff.get("/notify/messages", params={"limit": 2, "after": second["next_after"]}).json()
    assert [m["recipient"] for m in third["items"]] == ["+85290000000"]
    assert third["next_after"] is None

    assert deliver() == {"sent": 5}
    emails = staff.get("/notify/messages", params={"channel": "email", "status": "sent"})
    answers.append(emails.text)
    assert [m["recipient"] for m in emails.json()["items"]] == ["bo@example.com", "amy@example.com"]
    assert staff.get("/notify/messages", params={"template": "notify.credentials"}).json()["items"][
        0
    ]["id"] == str(cred.public_id)
    assert staff.get("/notify/messages", params={"recipient": "nobody"}).json()["items"] == []

    detail = staff.get(f"/notify/messages/{cred.public_id}")
    answers.append(detail.text)
    d = detail.json()
    assert d["delivery_id"] == str(cred.public_id)
    assert (d["status"], d["attempts"], d["had_secrets"], d["secrets_kept"]) == (
        "sent",
        1,
        True,
        False,
    )
    assert d["secret_fields"] == ["password"] and d["context"] == {"username": "amy"}
    assert d["subject"] == "您的 Custodesk 登入資料"
    assert "amy" in d["body"] and "••••••" in d["body"]
    assert all(PASSWORD not in a for a in answers)

    bad = staff.get("/notify/messages", params={"status": "lost", "limit": 1000})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"status", "limit"}
    assert staff.get("/notify/messages/01234567-89ab-7def-8123-456789abcdef").status_code == 404


def test_give_up_and_retry_by_hand_are_audited_with_the_reason(
    staff, enqueue, deliver, clock, receiver, endpoint
):
    hook = receiver(fail_first=100)
    endpoint(hook.url)
    m = enqueue(channel="webhook", template="notify.test", recipient="hkex", context={"note": "x"})
    assert deliver() == {"failed": 1}
    url = f"/notify/messages/{m.public_id}"

    no_reason = staff.post(f"{url}/give-up", json={"reason": ""})
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "reason"
    gave_up = staff.post(f"{url}/give-up", json={"reason": "market endpoint retired"})
    assert gave_up.status_code == 200, gave_up.text
    assert gave_up.json()["status"] == "gave_up"
    assert deliver() == {}  # not tried again

    retried = staff.post(f"{url}/retry", json={"reason": "endpoint is back"})
    assert retried.status_code == 200, retried.text
    assert retried.json()["status"] == "failed"  # due now, attempts kept
    hook.fail_first = 0
    assert deliver() == {"sent": 1}
    again = staff.post(f"{url}/retry", json={"reason": "once more"})
    assert again.status_code == 409 and again.json()["code"] == "message_already_sent"

    rows = AuditEntry.objects.filter(object_type="notify.message").order_by("seq")
    assert [(a.action, a.reason, a.actor_username) for a in rows] == [
        ("notify.message.give_up", "market endpoint retired", "admin"),
        ("notify.message.retry", "endpoint is back", "admin"),
    ]
    assert rows[0].before["status"] == "failed" and rows[0].after["status"] == "gave_up"


def test_a_given_up_one_time_code_cannot_be_retried(staff, enqueue):
    m = enqueue(channel="sms", template="notify.one_time_code", recipient="+85291234567",
                context={"minutes": 5}, secrets={"code": "554433"})  # fmt: skip
    url = f"/notify/messages/{m.public_id}"
    assert (
        staff.post(f"{url}/give-up", json={"reason": "user asked for a new code"}).json()[
            "secrets_kept"
        ]
        is False
    )
    refused = staff.post(f"{url}/retry", json={"reason": "try again"})
    assert refused.status_code == 409 and refused.json()["code"] == "message_secrets_blanked"


def test_the_outbox_is_staff_only(api_client, admin, make_user, member_org, enqueue, clock):
    role = create_role(
        actor=admin, code="ops", name="Ops", permissions=["identity.user.view"],
        organisation_id=member_org.public_id, now=clock.now(),
    )  # fmt: skip
    # a role stored before the rule still naming the outbox's permissions
    Role.objects.filter(pk=role.pk).update(permissions=["notify.message.view"])
    clerk = make_user("memberclerk", organisation=member_org)
    grant_role(admin, clerk, "ops", clock=clock)
    m = enqueue(
        channel="sms", template="notify.test", recipient="+85291234567", context={"note": "x"}
    )
    member = api_client()
    assert member.sign_in("memberclerk").status_code == 200
    assert member.get("/notify/messages").status_code == 403
    assert member.get(f"/notify/messages/{m.public_id}").status_code == 403
    anonymous = api_client()
    assert anonymous.get("/notify/messages").status_code == 401
