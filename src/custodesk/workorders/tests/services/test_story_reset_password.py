"""Acceptance: a reset-password order — the client signs in to the app with the
password SMSed to its phone and must change it; the old one fails; the login name
reached the SMTP server by e-mail; no log line and no audit row holds the password."""

from __future__ import annotations

import json
import logging

import pytest

from custodesk.audit.models import AuditEntry
from custodesk.brokerage import services as brokerage
from custodesk.notify import services as notify
from custodesk.notify.models import Message
from custodesk.notify.selectors import phone_messages
from custodesk.testing import brokerage as tb
from custodesk.workorders import selectors, services
from custodesk.workorders.models import WorkOrder, WorkOrderHistory

pytestmark = pytest.mark.django_db


def test_reset_password_order(admin, checker, make_client, clock, smtp, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    client, _ = make_client(accounts=1, email="amy@example.com", phone="+85261234568")
    brokerage.app_login_create(actor=admin, client_id=client.public_id, login_name="amy.chan",
                               now=clock.now())  # fmt: skip
    old = tb.app_password("+85261234568")
    assert brokerage.client_sign_in(login_name="amy.chan", password=old,
                                    device=brokerage.Device(), now=clock.now()).ok  # fmt: skip
    notify.deliver_due(clock=clock)  # the opening's and the first login's messages
    smtp.messages.clear()
    clock.advance(hours=1)

    order = services.order_create(
        actor=admin,
        kind="reset_password",
        client_no=client.client_no,
        reason="Client forgot it (call 2026-11-23)",
        now=clock.now(),
    )
    order = services.order_approve(actor=checker, order_id=order.public_id, now=clock.now())
    assert order.status == "executed"
    new = tb.app_password("+85261234568")  # as the phone receives it
    assert new != old and len(new) >= 12

    # the order shows its messages and their delivery status, never the password
    shown = selectors.order_messages(order=order, now=clock.now())
    assert [(m["channel"], m["template"], m["status"]) for m in shown] == [
        ("sms", "brokerage.app_password", "pending"),
        ("email", "brokerage.app_login_name", "pending"),
    ]
    assert new not in json.dumps(shown, default=str)
    assert notify.deliver_due(clock=clock) == {"sent": 2}
    shown = selectors.order_messages(order=order, now=clock.now())
    assert {m["status"] for m in shown} == {"sent"}
    # the phone got it by SMS (the embedded gateway's phone), the outbox keeps no secret
    [sms] = [
        m for m in phone_messages(actor=admin) if m["delivery_id"] == str(shown[0]["delivery_id"])
    ]
    assert sms["to"] == "+85261234568" and new in sms["body"] and "amy.chan" in sms["body"]

    # the login name by e-mail, through the SMTP server
    [mail] = smtp.messages
    assert mail["To"] == "amy@example.com"
    assert mail["X-Custodesk-Delivery"] == str(shown[1]["delivery_id"])
    assert "amy.chan" in mail.get_content() and new not in mail.get_content()

    # the app: the old password fails, the new one signs in and must be changed
    assert not brokerage.client_sign_in(
        login_name="amy.chan", password=old, device=brokerage.Device(), now=clock.now()
    ).ok
    signed = brokerage.client_sign_in(
        login_name="amy.chan", password=new, device=brokerage.Device(), now=clock.now()
    )
    assert signed.ok and signed.login.must_change_password
    brokerage.client_password_change(
        session=signed.session,
        current_password=new,
        new_password="Brand-New-Pass-9",
        now=clock.now(),
    )
    assert brokerage.client_sign_in(
        login_name="amy.chan",
        password="Brand-New-Pass-9",
        device=brokerage.Device(),
        now=clock.now(),
    ).ok

    # the password is nowhere: log lines, audit rows, the order, its history, the outbox
    assert "outbox sms" in caplog.text and new not in caplog.text  # every log line, DEBUG up
    out, err = capfd.readouterr()  # and whatever reached the process's stdout / stderr
    assert new not in out + err
    for row in AuditEntry.objects.all():
        assert new not in json.dumps([row.before, row.after, row.reason, row.object_repr],
                                     default=str)  # fmt: skip
    for o in WorkOrder.objects.all():
        assert new not in json.dumps([o.fields, o.result, o.reason], default=str)
    assert not any(new in json.dumps(h.data) for h in WorkOrderHistory.objects.all())
    assert not Message.objects.filter(secret_context__isnull=False).exists()


def test_reset_password_needs_a_phone(admin, make_client, clock):
    client, _ = make_client(accounts=0, phone="", email="no-phone@example.com")
    brokerage.app_login_create(actor=admin, client_id=client.public_id, login_name="nophone",
                               now=clock.now())  # fmt: skip
    with pytest.raises(Exception) as bad:
        services.order_create(actor=admin, kind="reset_password", client_no=client.client_no,
                              reason="forgot", now=clock.now())  # fmt: skip
    assert bad.value.problem()["errors"][0]["rule"] == "no_phone"
