"""Several workers at once take different messages: each is sent once (the claim is
``FOR UPDATE SKIP LOCKED`` on PostgreSQL, an IMMEDIATE transaction on SQLite)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection

from custodesk.notify import services
from custodesk.notify.models import Message


class Recording:
    """Appends each delivery id to the file ``settings.NOTIFY_TEST_SENT_LOG`` (the sender
    is imported by name, as a module of its own: a file is what both copies share)."""

    def send(self, message):
        from django.conf import settings

        time.sleep(0.02)  # a send takes a while: the other workers claim meanwhile
        with Path(settings.NOTIFY_TEST_SENT_LOG).open("a", encoding="utf-8") as log:
            log.write(message.delivery_id + "\n")


@pytest.mark.django_db(transaction=True)
def test_four_workers_send_each_message_once(clock, enqueue, settings, tmp_path):
    settings.NOTIFY_TEST_SENT_LOG = str(tmp_path / "sent.log")
    settings.CUSTODESK_NOTIFY_SENDERS = {
        **settings.CUSTODESK_NOTIFY_SENDERS,
        "sms": "custodesk.notify.tests.services.test_concurrent_workers.Recording",
    }
    ids = {
        str(
            enqueue(
                channel="sms",
                template="notify.test",
                recipient=f"+8529100{i:04d}",
                context={"note": str(i)},
            ).public_id
        )
        for i in range(24)
    }
    outcomes: list[dict[str, int]] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            outcomes.append(services.deliver_due(clock=clock))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    sent = (tmp_path / "sent.log").read_text(encoding="utf-8").split()
    assert Counter(sent) == Counter(ids)  # every message, each once
    assert sum(o.get("sent", 0) for o in outcomes) == 24
    assert set(Message.objects.filter(public_id__in=ids).values_list("status", flat=True)) == {
        "sent"
    }


@pytest.mark.django_db
def test_the_claim_skips_rows_other_workers_hold_on_postgresql(clock, enqueue):
    from django.test.utils import CaptureQueriesContext

    enqueue(channel="sms", template="notify.test", recipient="+85291230000", context={"note": "x"})
    with CaptureQueriesContext(connection) as queries:
        assert services._claim(now=clock.now()) is not None
    [select] = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    if connection.vendor == "postgresql":
        assert 'FOR UPDATE OF "notify_message" SKIP LOCKED' in select
    else:  # SQLite has no row locks: the claim's IMMEDIATE transaction holds the write lock
        assert "FOR UPDATE" not in select
        assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
