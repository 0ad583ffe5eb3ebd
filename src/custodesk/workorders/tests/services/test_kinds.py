"""Each kind's rules and execution: data changes need a remark or a file, client data
through the brokerage's client_update, contact details with the notify option, close
with cash → failed with the reason, feedback approved automatically, cancel and
withdraw, unlock, flows per kind."""

from __future__ import annotations

import pytest

from custodesk.approvals import services as approvals
from custodesk.audit.models import AuditEntry
from custodesk.brokerage import services as brokerage
from custodesk.brokerage.models import Client
from custodesk.core.errors import DomainError, ValidationFailed
from custodesk.notify.models import Message
from custodesk.testing import brokerage as tb
from custodesk.workorders import kinds, services
from custodesk.workorders.models import ClientContact, WorkOrder

pytestmark = pytest.mark.django_db


def test_every_kind_has_an_approval_action_and_a_label():
    from custodesk.approvals import registry

    codes = {k.code for k in kinds.all_kinds()}
    assert codes == {
        "freeze_client", "unfreeze_client", "freeze_account", "unfreeze_account",
        "close_client", "close_account", "unlock_password", "reset_password",
        "modify_client_data", "modify_contact", "change_login_app", "client_feedback",
    }  # fmt: skip
    for k in kinds.all_kinds():
        assert registry.find(k.action_type) is not None and str(k.label)


def test_a_data_change_needs_a_remark_or_an_attachment(admin, make_client, clock):
    client, _ = make_client(accounts=0)
    with pytest.raises(ValidationFailed) as bad:
        services.order_create(
            actor=admin,
            kind="modify_contact",
            client_no=client.client_no,
            fields={"contact_phone": "+85261234599"},
            now=clock.now(),
        )
    assert bad.value.errors[0].rule == "remark_or_attachment"
    pdf = services.Upload("form.pdf", "application/pdf", b"%PDF-1.4 signed form")
    order = services.order_create(actor=admin, kind="modify_contact", client_no=client.client_no,
                                  fields={"contact_phone": "+85261234599"}, attachments=[pdf],
                                  now=clock.now(), submit=False)  # fmt: skip
    [att] = order.attachments.all()
    assert att.size == len(pdf.content) and len(att.sha256) == 64
    big = services.Upload("big.pdf", "application/pdf", b"x" * (5 * 1024 * 1024 + 1))
    exe = services.Upload("x.exe", "application/x-msdownload", b"MZ")
    for up, rule in ((big, "max_size"), (exe, "file_type")):
        with pytest.raises(ValidationFailed) as bad:
            services.order_create(actor=admin, kind="modify_contact", client_no=client.client_no,
                                  fields={"contact_phone": "+85261234599"}, attachments=[up],
                                  now=clock.now())  # fmt: skip
        assert bad.value.errors[0].rule == rule
    assert WorkOrder.objects.count() == 1


def test_modify_client_data_through_the_brokerage_and_notify_when_asked(
    admin, checker, make_client, clock
):
    client, _ = make_client(accounts=0)
    order = services.order_create(
        actor=admin, kind="modify_client_data", client_no=client.client_no,
        fields={"login_phone": "+852 6123 4000", "email_verified": "yes", "notify": True},
        reason="Client's letter of 20 Nov", now=clock.now(),
    )  # fmt: skip
    assert order.fields["login_phone"] == "+85261234000"
    done = services.order_approve(actor=checker, order_id=order.public_id, now=clock.now())
    assert done.status == "executed", done.failure_reason
    client.refresh_from_db()
    assert client.phone == "+85261234000"
    assert ClientContact.objects.get(client=client).email_verified is True
    row = AuditEntry.objects.get(action="brokerage.client.update")
    assert row.reason.startswith(done.number) and row.after == {"phone": "+85261234000"}
    assert Message.objects.filter(template="workorders.client_data_changed").count() == 2

    quiet = services.order_create(
        actor=admin, kind="modify_contact", client_no=client.client_no,
        fields={"extra_emails": "a@example.com; b@example.com", "language": "en"},
        reason="statements",
        now=clock.now(),
    )  # fmt: skip
    services.order_approve(actor=checker, order_id=quiet.public_id, now=clock.now())
    assert ClientContact.objects.get(client=client).extra_emails == [
        "a@example.com", "b@example.com"
    ]  # fmt: skip
    assert Message.objects.filter(template="workorders.client_data_changed").count() == 2
    assert services.client_language(client) == "en"  # its notices from now on


def test_close_account_with_cash_fails_with_the_reason(admin, checker, make_client, clock):
    _client, [account] = make_client(accounts=1)
    tb.move_cash(admin, checker, account, "deposit", "100.00", now=clock.now())
    order = services.order_create(actor=admin, kind="close_account",
                                  account_numbers=[account.number], reason="left",
                                  now=clock.now())  # fmt: skip
    done = services.order_approve(actor=checker, order_id=order.public_id, now=clock.now())
    assert done.status == "failed"
    assert done.failure_reason.startswith("account_has_cash")
    assert done.history.last().action == "fail"
    account.refresh_from_db()
    assert account.status == "active"


def test_close_client_needs_its_accounts_closed_then_closes(admin, checker, make_client, clock):
    client, [account] = make_client(accounts=1)
    with pytest.raises(DomainError) as refused:
        services.order_create(
            actor=admin,
            kind="close_client",
            client_no=client.client_no,
            fields={"close_kind": "normal"},
            reason="r",
            now=clock.now(),
        )
    assert refused.value.code == "client_has_open_accounts"
    a = services.order_create(actor=admin, kind="close_account", account_numbers=[account.number],
                              reason="r", now=clock.now())  # fmt: skip
    services.order_approve(actor=checker, order_id=a.public_id, now=clock.now())
    c = services.order_create(
        actor=admin,
        kind="close_client",
        client_no=client.client_no,
        fields={"close_kind": "normal"},
        reason="r",
        now=clock.now(),
    )
    done = services.order_approve(actor=checker, order_id=c.public_id, now=clock.now())
    assert done.status == "executed" and done.result["closed_kind"] == "normal"
    assert Client.objects.get(pk=client.pk).status == "closed"
    assert Message.objects.filter(template="workorders.client_closed").exists()


def test_feedback_is_automatic_and_flows_are_per_kind(admin, checker, make_client, clock):
    client, _ = make_client(accounts=0)
    fb = services.order_create(actor=admin, kind="client_feedback", client_no=client.client_no,
                               fields={"category": "complaint"}, reason="App slow",
                               now=clock.now())  # fmt: skip
    assert fb.status == "executed" and fb.approved_by is None
    # an automatic flow configured for unlocking: executed at submission
    flow = approvals.submit(actor=admin, action_type="approvals.flow_configure", payload={
        "action_type": "workorders.unlock_password", "mode": "auto", "expiry_hours": 72,
        "levels": [], "global_flow": False}, now=clock.now())  # fmt: skip
    assert flow.executed
    brokerage.app_login_create(actor=admin, client_id=client.public_id, login_name="tai.man",
                               now=clock.now())  # fmt: skip
    for _ in range(2):
        brokerage.client_sign_in(
            login_name="tai.man", password="wrong", device=brokerage.Device(), now=clock.now()
        )
    un = services.order_create(actor=admin, kind="unlock_password", client_no=client.client_no,
                               reason="called", now=clock.now())  # fmt: skip
    assert un.status == "executed"
    assert client.app_login.__class__.objects.get(client=client).failed_count == 0


def test_cancel_a_draft_and_withdraw_a_pending_order(admin, checker, make_client, clock):
    client, _ = make_client(accounts=0)
    draft = services.order_create(actor=admin, kind="freeze_client", client_no=client.client_no,
                                  reason="r", submit=False, now=clock.now())  # fmt: skip
    with pytest.raises(DomainError):
        services.order_cancel(actor=checker, order_id=draft.public_id, now=clock.now())
    assert services.order_cancel(actor=admin, order_id=draft.public_id,
                                 now=clock.now()).status == "cancelled"  # fmt: skip
    pending = services.order_create(
        actor=admin, kind="freeze_client", client_no=client.client_no, reason="r", now=clock.now()
    )
    with pytest.raises(DomainError) as dup:
        services.order_create(actor=admin, kind="freeze_client", client_no=client.client_no,
                              reason="again", now=clock.now())  # fmt: skip
    assert dup.value.code == "duplicate_pending_request"
    done = services.order_cancel(actor=admin, order_id=pending.public_id, reason="mistake",
                                 now=clock.now())  # fmt: skip
    assert done.status == "cancelled"
    with pytest.raises(DomainError) as late:
        services.order_approve(actor=checker, order_id=pending.public_id, now=clock.now())
    assert late.value.code == "order_state"


def test_an_approved_order_left_unexecuted_is_run_by_the_job(admin, checker, make_client, clock):
    """The process stopped between the approval's commit and the execution (simulated:
    the engine approves, nobody runs the execution); the periodic job runs it once."""
    _client, [account] = make_client(accounts=1)
    order = services.order_create(
        actor=admin,
        kind="freeze_account",
        account_numbers=[account.number],
        reason="r",
        now=clock.now(),
    )
    # approve through the engine only (as the approvals inbox does; on_commit is not run
    # in this test's transaction)
    approvals.approve(actor=checker, request_id=order.approval_request_id, now=clock.now())
    order.refresh_from_db()
    assert order.status == "executed"  # in-transaction kind: executed with the approval
    u = services.order_create(
        actor=admin,
        kind="unfreeze_account",
        account_numbers=[account.number],
        reason="r",
        now=clock.now(),
    )
    approvals.approve(actor=checker, request_id=u.approval_request_id, now=clock.now())
    u.refresh_from_db()
    assert u.status == "approved" and u.execution_started_at is None
    assert services.execute_due(now=clock.now()) == 0  # not a minute old yet
    clock.advance(minutes=2)
    assert services.execute_due(now=clock.now()) == 1
    u.refresh_from_db()
    assert u.status == "executed"
    assert services.execute_due(now=clock.now()) == 0


def test_freezing_a_client_stays_reviewed_under_an_automatic_default_flow(
    admin, make_client, clock
):
    """The default flow ("*") made automatic: most kinds execute at submission, but
    freezing a client keeps its review unless its own flow says otherwise."""
    flow = approvals.submit(actor=admin, action_type="approvals.flow_configure", payload={
        "action_type": "*", "mode": "auto", "expiry_hours": 72, "levels": [],
        "global_flow": False}, now=clock.now())  # fmt: skip
    assert flow.executed
    client, [account] = make_client(accounts=1)
    frozen = services.order_create(actor=admin, kind="freeze_client", client_no=client.client_no,
                                   reason="r", now=clock.now())  # fmt: skip
    assert frozen.status == "submitted"
    acc = services.order_create(
        actor=admin,
        kind="freeze_account",
        account_numbers=[account.number],
        reason="r",
        now=clock.now(),
    )
    assert acc.status == "executed" and acc.approved_by is None
