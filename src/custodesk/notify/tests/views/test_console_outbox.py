"""Console pages of the outbox (Django test client): message records with filters and
keyset pages, one message with its text masked, give up / retry with a reason, and the
test phone that shows the SMS as delivered (the one place a code can be read)."""

from __future__ import annotations

import pytest

from custodesk.audit.models import AuditEntry
from custodesk.notify import views
from custodesk.notify.models import Message
from custodesk.testing.fixtures import PASSWORD

pytestmark = pytest.mark.django_db

LIST = "/console/notify/messages/"
CODE = "381946"


def sign_in(client, username="admin"):
    client.post("/console/sign-in/", {"username": username, "password": PASSWORD})


def test_records_filters_detail_and_the_test_phone(client, admin, enqueue, deliver, clock):
    otp = enqueue(channel="sms", template="notify.one_time_code", recipient="+85291234567",
                  language="zh_Hant", context={"minutes": 5}, secrets={"code": CODE})  # fmt: skip
    mail = enqueue(channel="email", template="notify.test", recipient="amy@example.com",
                   context={"note": "hello"})  # fmt: skip
    sign_in(client)
    page = client.get(LIST).content.decode()
    assert str(otp.public_id) in page and str(mail.public_id) in page
    assert 'data-testid="phone-link"' in page
    assert deliver() == {"sent": 2}

    only_sms = client.get(LIST, {"channel": "sms", "status": "sent"}).content.decode()
    assert str(otp.public_id) in only_sms and str(mail.public_id) not in only_sms
    none = client.get(LIST, {"recipient": "nobody@example.com"}).content.decode()
    assert "No messages match these filters." in none

    detail = client.get(f"{LIST}{otp.public_id}/").content.decode()
    assert "+85291234567" in detail and "••••••" in detail and CODE not in detail
    assert 'data-testid="give-up"' not in detail  # sent: nothing to do
    assert CODE not in client.get(LIST).content.decode()

    phone = client.get("/console/notify/phone/").content.decode()
    assert f"您的 Custodesk 驗證碼是 {CODE}" in phone  # the handset shows the code as sent


def test_keyset_pages(client, admin, enqueue, clock, monkeypatch):
    monkeypatch.setattr(views, "PAGE", 2)
    made = []
    for i in range(3):
        made.append(enqueue(channel="sms", template="notify.test", recipient=f"+8529000000{i}",
                            context={"note": "x"}))  # fmt: skip
    sign_in(client)
    first = client.get(LIST)
    assert [r["recipient"] for r in first.context["rows"]] == ["+85290000002", "+85290000001"]
    older = client.get(LIST, {"after": str(first.context["next_after"])})
    assert [r["recipient"] for r in older.context["rows"]] == ["+85290000000"]
    assert older.context["next_after"] is None


def test_give_up_then_retry_with_a_reason(client, admin, enqueue):
    m = enqueue(channel="email", template="notify.test", recipient="amy@example.com",
                context={"note": "x"})  # fmt: skip
    sign_in(client)
    url = f"{LIST}{m.public_id}/give-up/"
    assert 'data-testid="confirm-form"' in client.get(url).content.decode()
    blank = client.post(url, {"reason": ""})
    assert blank.status_code == 200 and Message.objects.get(pk=m.pk).status == "pending"
    done = client.post(url, {"reason": "wrong address"})
    assert done.status_code == 302 and done["Location"] == f"{LIST}{m.public_id}/"
    assert Message.objects.get(pk=m.pk).status == "gave_up"
    assert client.post(f"{LIST}{m.public_id}/retry/", {"reason": "fixed"}).status_code == 302
    assert Message.objects.get(pk=m.pk).status == "pending"
    assert list(
        AuditEntry.objects.filter(object_id=str(m.public_id))
        .order_by("seq")
        .values_list("action", "reason")
    ) == [("notify.message.give_up", "wrong address"), ("notify.message.retry", "fixed")]
    # retrying a pending message is refused on the form
    refused = client.post(f"{LIST}{m.public_id}/retry/", {"reason": "again"}).content.decode()
    assert "Only a failed message or one given up can be retried." in refused


def test_users_without_the_permission_get_403(client, make_user, enqueue):
    make_user("olive", roles=["operator"])
    m = enqueue(
        channel="sms", template="notify.test", recipient="+85291234567", context={"note": "x"}
    )
    sign_in(client, "olive")
    assert client.get(LIST).status_code == 403
    assert client.get(f"{LIST}{m.public_id}/").status_code == 403
    assert client.get("/console/notify/phone/").status_code == 403
    assert client.post(f"{LIST}{m.public_id}/give-up/", {"reason": "x"}).status_code == 403
    assert Message.objects.get(pk=m.pk).status == "pending"
