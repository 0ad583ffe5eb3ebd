"""E-mail over real SMTP (aiosmtpd on loopback): with the server down the message
waits (failed, will retry) and nothing is lost; when the server is back it is
delivered once, in the recipient's language, with its delivery id."""

from __future__ import annotations

import pytest

from custodesk.notify.models import Message

pytestmark = pytest.mark.django_db


def test_smtp_down_the_mail_waits_and_is_delivered_once_when_the_server_is_back(
    clock, enqueue, deliver, smtp
):
    m = enqueue(channel="email", template="notify.test", recipient="amy@example.com",
                language="zh_Hans", context={"note": "SMTP-1"})  # fmt: skip
    assert deliver() == {"failed": 1}  # nothing listens on the port
    m.refresh_from_db()
    assert m.status == "failed" and m.attempts == 1
    assert "Connection refused" in m.last_error or "ConnectionRefused" in m.last_error
    clock.set(m.next_attempt_at)
    assert deliver() == {"failed": 1}  # still down at the next attempt
    m.refresh_from_db()

    smtp.start()
    assert deliver() == {}  # back, but not due yet: the backoff is respected
    assert smtp.inbox.messages == []
    clock.set(m.next_attempt_at)
    assert deliver() == {"sent": 1}
    clock.advance(hours=5)
    assert deliver() == {}  # and never again
    [mail] = smtp.inbox.messages
    assert mail["To"] == "amy@example.com"
    assert mail["X-Custodesk-Delivery"] == str(m.public_id)
    assert mail["Message-ID"] == f"<{m.public_id}@custodesk>"
    assert mail["Subject"] == "Custodesk 测试消息"
    assert "这是 Custodesk 的测试消息：SMTP-1" in mail.get_content()
    m.refresh_from_db()
    assert (m.status, m.attempts) == ("sent", 3)
    assert Message.objects.filter(status="sent").count() == 1
