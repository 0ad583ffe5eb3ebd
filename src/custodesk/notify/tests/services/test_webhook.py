"""Webhooks over real HTTP: signed (HMAC-SHA256 of "timestamp.body" under the
endpoint's secret), retried with backoff while the receiver fails, and processed
once by a receiver that deduplicates on the delivery id."""

from __future__ import annotations

import json

import pytest

from custodesk.notify import senders

pytestmark = pytest.mark.django_db


def test_a_receiver_that_fails_twice_then_succeeds_gets_the_message_once(
    clock, enqueue, deliver, receiver, endpoint
):
    hook = receiver(fail_first=2)
    endpoint(hook.url)
    m = enqueue(channel="webhook", template="notify.test", recipient="hkex",
                context={"note": "deposit 42"})  # fmt: skip
    for attempt in (1, 2):
        assert deliver() == {"failed": 1}
        m.refresh_from_db()
        assert (m.status, m.attempts, m.last_error) == (
            "failed", attempt, "HTTP 500 Internal Server Error"
        )  # fmt: skip
        clock.set(m.next_attempt_at)
    assert deliver() == {"sent": 1}
    assert [r["delivery"] for r in hook.received] == [str(m.public_id)] * 3
    assert all(r["valid"] for r in hook.received)  # every attempt correctly signed
    assert list(hook.processed) == [str(m.public_id)]
    [body] = hook.processed[str(m.public_id)]
    payload = json.loads(body)
    assert payload["event"] == "notify.test"
    assert payload["delivery_id"] == str(m.public_id)
    assert payload["data"] == {"note": "deposit 42"}
    m.refresh_from_db()
    assert (m.status, m.attempts) == ("sent", 3)


def test_a_wrong_secret_is_refused_by_the_receiver_and_recorded(
    clock, enqueue, deliver, receiver, endpoint
):
    hook = receiver(secret="s" * 40)  # the receiver holds another key
    endpoint(hook.url)
    m = enqueue(channel="webhook", template="notify.test", recipient="hkex", context={"note": "x"})
    assert deliver() == {"failed": 1}
    m.refresh_from_db()
    assert m.last_error == "HTTP 401 Unauthorized"
    assert hook.processed == {}


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body():
    import hashlib
    import hmac

    body = b'{"a":1}'
    expected = hmac.new(b"key", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert senders.signature("key", 1700000000, body) == f"t=1700000000,v1={expected}"
