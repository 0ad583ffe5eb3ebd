"""The outbox's demo step queues a test SMS and e-mail; delivered, the SMS is on the
test phone (what a newcomer after ``make run`` reads in the console)."""

from __future__ import annotations

import pytest

from custodesk.core.modules import DemoRun
from custodesk.notify import demo, selectors
from custodesk.notify.models import Message

pytestmark = pytest.mark.django_db


def test_the_demo_queues_an_sms_and_an_email_the_worker_delivers(admin, clock, deliver):
    demo.seed(DemoRun(now=clock.now(), business_date=clock.business_date(),
                      actors={"admin": admin}))  # fmt: skip
    assert sorted(Message.objects.values_list("channel", "status")) == [
        ("email", "pending"), ("sms", "pending"),
    ]  # fmt: skip
    assert deliver() == {"sent": 2}
    [sms] = selectors.phone_messages(actor=admin)
    assert sms["to"] == "+85290000000"
    assert sms["body"] == "這是 Custodesk 的測試訊息：demo"
    assert "Test phone" in demo.notes()
