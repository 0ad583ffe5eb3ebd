"""Message templates: the recipient's language, secrets masked in the kept record,
the webhook body."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from custodesk.notify import catalog, messages


@pytest.mark.parametrize(
    ("given", "code"),
    [("zh_Hant", "zh-hant"), ("zh-TW", "zh-hant"), ("zh-HK", "zh-hant"), ("zh_Hans", "zh-hans"),
     ("zh-CN", "zh-hans"), ("en-GB", "en"), ("EN", "en"), ("", "en"), (None, "en"), ("fr", None)],
)  # fmt: skip
def test_language_codes(given, code):
    assert catalog.language_code(given) == code


def test_the_kept_record_masks_secrets_and_the_delivery_has_them():
    at = dt.datetime(2026, 11, 23, 1, 30, tzinfo=dt.UTC)
    args = {"channel": "sms", "context": {"username": "amy"}, "delivery_id": "d1", "created_at": at}
    shown = catalog.render(messages.CREDENTIALS, language="zh-hans", secrets=None, **args)
    sent = catalog.render(messages.CREDENTIALS, language="zh-hans", secrets={"password": "Pw-1"},
                          **args)  # fmt: skip
    assert "临时密码是 ••••••" in shown.body and "Pw-1" not in shown.body
    assert "临时密码是 Pw-1" in sent.body
    assert sent.subject == "您的 Custodesk 登录信息"


def test_a_webhook_body_is_json_with_event_delivery_id_and_data():
    at = dt.datetime(2026, 11, 23, 1, 30, tzinfo=dt.UTC)
    text = catalog.render(messages.TEST, channel="webhook", language="en", context={"note": "n"},
                          secrets=None, delivery_id="d1", created_at=at)  # fmt: skip
    assert text.content_type == "application/json"
    assert json.loads(text.body) == {
        "event": "notify.test", "delivery_id": "d1", "created_at": "2026-11-23T01:30:00Z",
        "data": {"note": "n"},
    }  # fmt: skip


def test_a_template_is_declared_once():
    with pytest.raises(ValueError, match="declared twice"):
        catalog.register(catalog.MessageTemplate(code="notify.test", channels=frozenset({"sms"})))
