"""The outbox's demo step (``custodesk demo``): a test SMS and a test e-mail queued, which
the worker of ``make run`` delivers — the SMS to the console's test phone."""

from __future__ import annotations

from custodesk.core.modules import DemoRun

from . import services


def seed(run: DemoRun) -> None:
    admin = run.actors["admin"]
    services.message_send_test(actor=admin, channel="sms", recipient="+85290000000",
                               language="zh_Hant", note="demo", now=run.now)  # fmt: skip
    services.message_send_test(actor=admin, channel="email", recipient="admin@example.com",
                               language="en", note="demo", now=run.now)  # fmt: skip


def notes() -> str:
    return (
        "Outbox: SMS go to var/outbox/ (console: Records query → Outbox messages → Test "
        "phone); e-mails to var/mail/ unless CUSTODESK_EMAIL_HOST names an SMTP server."
    )
