"""``custodesk notify``: a webhook endpoint added from the shell gets a signing secret
printed once (never audited), a test message is queued and audited, ``deliver`` sends
what is due."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from custodesk.audit.models import AuditEntry
from custodesk.notify.models import Message, WebhookEndpoint

pytestmark = pytest.mark.django_db


def notify(*args: str) -> str:
    out = io.StringIO()
    call_command("notify", *args, stdout=out)
    return out.getvalue()


def test_endpoint_test_message_and_deliver_from_the_shell(receiver, settings):
    hook = receiver()
    printed = notify("endpoint", "hkex", hook.url)
    secret = printed.split("shown once, give it to the receiver): ")[1].strip()
    assert WebhookEndpoint.objects.get(code="hkex").secret == secret
    assert "signing secret" not in notify("endpoint", "hkex", hook.url)  # kept, not shown
    hook.secret = secret

    queued = notify("test", "--channel", "webhook", "--to", "hkex", "--note", "from the shell")
    m = Message.objects.get()
    assert str(m.public_id) in queued
    assert notify("deliver") == "sent: 1\n"
    assert [r["valid"] for r in hook.received] == [True]
    assert json.loads(hook.received[0]["body"])["data"] == {"note": "from the shell"}

    audit = list(AuditEntry.objects.order_by("seq").values_list("action", "channel", "after"))
    assert [a[:2] for a in audit] == [
        ("notify.endpoint.save", "cli"), ("notify.endpoint.save", "cli"),
        ("notify.message.test", "cli"),
    ]  # fmt: skip
    assert secret not in json.dumps([a[2] for a in audit])


def test_a_bad_endpoint_is_refused_naming_the_field():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="url"):
        notify("endpoint", "hkex", "ftp://example.com/hook")
    assert not WebhookEndpoint.objects.exists()
