"""The outbox: a message is written in its caller's transaction, delivered by
``deliver_due`` with retries and backoff, its secrets blanked once sent or given up;
a lease that runs out (a worker gone mid-delivery) makes it due again."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.db import transaction

from custodesk.core.errors import ValidationFailed
from custodesk.notify import services
from custodesk.notify.models import Message
from custodesk.notify.senders import phone_dir

pytestmark = pytest.mark.django_db

PASSWORD = "Tmp-Pw-7c41e9f2ZQ"  # what must never stay in the database or the logs


@pytest.mark.django_db(transaction=True)
def test_enqueue_needs_and_joins_the_callers_transaction(clock):
    with pytest.raises(RuntimeError):  # autocommit: no caller's transaction
        services.enqueue(channel="sms", template="notify.test", recipient="+85291234567",
                         context={"note": "x"}, now=clock.now())  # fmt: skip

    class Rollback(Exception):
        pass

    with pytest.raises(Rollback), transaction.atomic():
        services.enqueue(channel="sms", template="notify.test", recipient="+85291234567",
                         context={"note": "x"}, now=clock.now())  # fmt: skip
        raise Rollback  # the caller's change fails: its message goes with it
    assert not Message.objects.exists()


def test_bad_messages_are_refused_naming_field_and_rule(clock, enqueue):
    with pytest.raises(ValidationFailed) as err:
        enqueue(channel="fax", template="nope", recipient="x", language="fr")
    assert {(e.field, e.rule) for e in err.value.errors} == {
        ("channel", "choice"),
        ("template", "unknown"),
        ("language", "choice"),
    }
    with pytest.raises(ValidationFailed) as err:  # a secret put in the kept context
        enqueue(channel="email", template="notify.credentials", recipient="not-an-address",
                context={"username": "amy", "password": PASSWORD})  # fmt: skip
    assert {(e.field, e.rule) for e in err.value.errors} == {
        ("context.password", "secret"),
        ("secrets.password", "required"),
        ("recipient", "email"),
    }
    with pytest.raises(ValidationFailed) as err:  # the text needs a value it does not get
        enqueue(channel="sms", template="notify.one_time_code", recipient="+85291234567",
                secrets={"code": "123456"})  # fmt: skip
    assert [(e.field, e.rule) for e in err.value.errors] == [("context.minutes", "required")]
    assert not Message.objects.exists()


def test_the_recipients_language_picks_the_text(clock, enqueue, deliver):
    for lang, phone in (
        ("zh_Hant", "+85290000001"),
        ("zh-hans", "+852 9000 0002"),  # stored without the spaces
        ("", "+85290000003"),
    ):
        enqueue(channel="sms", template="notify.test", recipient=phone, language=lang,
                context={"note": "A1"})  # fmt: skip
    assert deliver() == {"sent": 3}
    texts = {
        m.recipient: (phone_dir() / f"sms-{m.public_id}.txt").read_text(encoding="utf-8")
        for m in Message.objects.all()
    }
    assert "這是 Custodesk 的測試訊息：A1" in texts["+85290000001"]
    assert "这是 Custodesk 的测试消息：A1" in texts["+85290000002"]
    assert "This is a test message from Custodesk: A1" in texts["+85290000003"]


def dump_database() -> str:
    """Every row of every table, as text."""
    from django.db import connection

    out = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            out.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(out)


def test_no_table_and_no_log_keeps_a_password_once_delivered(clock, enqueue, deliver, caplog):
    caplog.set_level(logging.DEBUG)
    sms = enqueue(channel="sms", template="notify.credentials", recipient="+85291234567",
                  language="zh_Hant", context={"username": "amy"},
                  secrets={"password": PASSWORD})  # fmt: skip
    mail = enqueue(channel="email", template="notify.credentials", recipient="amy@example.com",
                   context={"username": "amy"}, secrets={"password": PASSWORD})  # fmt: skip
    assert PASSWORD in dump_database()  # kept until delivered: it must reach the phone once
    assert deliver() == {"sent": 2}
    # delivered: the handset (the embedded gateway's file) has it, the outbox no longer does
    phone = (phone_dir() / f"sms-{sms.public_id}.txt").read_text(encoding="utf-8")
    assert PASSWORD in phone and "amy" in phone
    for m in Message.objects.filter(pk__in=[sms.pk, mail.pk]):
        assert m.status == "sent" and m.secret_context is None and m.had_secrets
    assert PASSWORD not in dump_database()
    assert PASSWORD not in caplog.text
    assert "sent" in caplog.text  # the log did record the deliveries


def test_a_failing_message_backs_off_then_gives_up_and_blanks_its_secret(
    clock, enqueue, deliver, settings, caplog
):
    caplog.set_level(logging.DEBUG)
    broken = "custodesk.notify.tests.services.test_outbox.Broken"
    settings.CUSTODESK_NOTIFY_SENDERS = {**settings.CUSTODESK_NOTIFY_SENDERS, "sms": broken}
    settings.CUSTODESK_NOTIFY_MAX_ATTEMPTS = 3
    m = enqueue(channel="sms", template="notify.one_time_code", recipient="+85291234567",
                context={"minutes": 5}, secrets={"code": "918273"})  # fmt: skip
    waits = []
    for attempt in (1, 2):
        assert deliver() == {"failed": 1}
        m.refresh_from_db()
        assert (m.status, m.attempts) == ("failed", attempt)
        assert m.last_error.startswith("gateway down, it said: Your Custodesk verification")
        assert "918273" not in m.last_error and "••••••" in m.last_error  # echo scrubbed
        assert deliver() == {}  # not due yet
        waits.append(m.next_attempt_at - clock.now())
        clock.set(m.next_attempt_at)
    base = settings.CUSTODESK_NOTIFY_BACKOFF_SECONDS
    assert dt.timedelta(seconds=base / 2) <= waits[0] <= dt.timedelta(seconds=base)
    assert dt.timedelta(seconds=base) <= waits[1] <= dt.timedelta(seconds=2 * base)
    assert deliver() == {"gave_up": 1}
    m.refresh_from_db()
    assert (m.status, m.attempts, m.secret_context) == ("gave_up", 3, None)
    assert "918273" not in dump_database() and "918273" not in caplog.text


class Broken:
    def send(self, message):
        from custodesk.notify.senders import DeliveryFailed

        raise DeliveryFailed(f"gateway down, it said: {message.body}")  # echoes the code


def test_backoff_doubles_with_jitter_and_stays_bounded(settings):
    import random

    rng = random.Random(7)
    base, cap = (
        settings.CUSTODESK_NOTIFY_BACKOFF_SECONDS,
        settings.CUSTODESK_NOTIFY_BACKOFF_MAX_SECONDS,
    )
    for attempt in range(1, 30):
        full = min(cap, base * 2 ** (attempt - 1))
        waits = {services.backoff(attempt, rng=rng).total_seconds() for _ in range(20)}
        assert all(full / 2 <= w <= full for w in waits)
        assert len(waits) > 1  # jitter: not all the same


def test_a_lease_that_runs_out_makes_the_message_due_again_and_the_late_finish_is_ignored(
    clock, enqueue, deliver, settings
):
    m = enqueue(channel="sms", template="notify.test", recipient="+85291234567",
                context={"note": "n"})  # fmt: skip
    first = services._claim(now=clock.now())  # a worker takes it ... and is never heard of
    assert first is not None and first.attempt == 1
    assert deliver() == {}  # leased: nobody else takes it
    clock.advance(seconds=settings.CUSTODESK_NOTIFY_LEASE_SECONDS + 1)
    assert deliver() == {"sent": 1}
    m.refresh_from_db()
    assert (m.status, m.attempts, m.last_error) == ("sent", 2, services.INTERRUPTED)
    # the first worker comes back late: its lease is gone, nothing changes
    assert services._finish(claim=first, error="timeout", now=clock.now()) is None
    m.refresh_from_db()
    assert m.status == "sent"


def test_webhook_to_an_unknown_endpoint_is_refused(enqueue):
    from custodesk.notify.errors import EndpointNotFound

    with pytest.raises(EndpointNotFound):
        enqueue(
            channel="webhook", template="notify.test", recipient="nowhere", context={"note": "x"}
        )
