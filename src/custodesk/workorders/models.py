"""The work-order centre (工單中心): orders on clients and accounts, their history,
attachments, and the outbox messages they caused.

Tables and constraints only; the writes are in ``workorders.services``.  An order's
*kind* is a code of the kinds registry (``workorders.kinds``), which declares, in one
place per kind, its target type, form fields, validation, approval policy, execution
(through the brokerage services) and client notice.

Status::

    draft → submitted → approved → executed
                     ↘ rejected     ↘ failed (with the reason)
    draft | submitted → cancelled

An order is submitted to the approval engine as the action ``workorders.<kind>``; the
request's public id is kept on the order (``approval_request_id``).  Approval marks the
order approved in the approving transaction; the execution runs right after it commits
(the brokerage services keep their own transactions) and ends executed or failed.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from custodesk.brokerage.models import Account, Client
from custodesk.core.ids import uuid7

MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
MAX_ATTACHMENTS = 5


class WorkOrderSequence(models.Model):
    """The last serial of the order numbers (``WO`` + 8 digits); read and bumped under
    ``select_for_update`` so a number is never issued twice (bulk imports reserve many)."""

    name = models.CharField(max_length=32, primary_key=True)
    last_value = models.BigIntegerField(default=0)

    class Meta:
        db_table = "workorders_sequence"


class WorkOrder(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Pending approval")
        APPROVED = "approved", _("Approved")
        EXECUTED = "executed", _("Executed")
        REJECTED = "rejected", _("Rejected")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    class Channel(models.TextChoices):
        MANUAL = "manual", _("Manual")
        IMPORT = "import", _("Batch import")
        API = "api", _("API")

    OPEN_STATUSES = (Status.DRAFT, Status.SUBMITTED, Status.APPROVED)
    FINAL_STATUSES = (Status.EXECUTED, Status.REJECTED, Status.FAILED, Status.CANCELLED)

    public_id = models.UUIDField(default=uuid7, unique=True, editable=False)
    number = models.CharField(_("work order number"), max_length=16, unique=True)
    kind = models.CharField(_("kind"), max_length=32)
    # the target: a client, or one or more of its accounts (``accounts``)
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="+", verbose_name=_("client")
    )
    accounts = models.ManyToManyField(
        Account, through="WorkOrderAccount", related_name="+", verbose_name=_("accounts")
    )
    reason = models.CharField(_("remark"), max_length=400, blank=True)
    # the kind's own form values (e.g. closing kind, the new login phone, notify?)
    fields = models.JSONField(_("details"), default=dict, blank=True)
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField(
        _("channel"), max_length=16, choices=Channel.choices, default=Channel.MANUAL
    )
    batch_id = models.UUIDField(_("batch"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    approval_request_id = models.UUIDField(null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    reject_reason = models.CharField(_("rejection reason"), max_length=400, blank=True)
    execution_started_at = models.DateTimeField(null=True, blank=True)
    executed_at = models.DateTimeField(_("executed"), null=True, blank=True)
    failure_reason = models.CharField(_("failure reason"), max_length=500, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))

    class Meta:
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["kind", "status", "-created_at"], name="workorders_kind_status"),
            models.Index(fields=["status", "-created_at"], name="workorders_status"),
            models.Index(fields=["client", "-created_at"], name="workorders_client"),
            models.Index(fields=["creator", "-created_at"], name="workorders_creator"),
            models.Index(fields=["batch_id"], name="workorders_batch"),
            models.Index(fields=["approval_request_id"], name="workorders_request"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="failed") | ~Q(failure_reason=""),
                name="workorders_failed_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(reject_reason=""),
                name="workorders_rejected_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class WorkOrderAccount(models.Model):
    """One target account of an order (account kinds; the accounts are its client's)."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="targets")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["order", "account"], name="workorders_account_once"),
        ]
        indexes = [models.Index(fields=["account", "order"], name="workorders_account")]


class WorkOrderHistory(models.Model):
    """One step of an order's life: created, submitted, approved (a level or the last),
    rejected, executed, failed, cancelled, a message sent …"""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="history")
    at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(_("action"), max_length=32)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]


class WorkOrderAttachment(models.Model):
    """A file given with an order (size-limited), kept in the database with its SHA-256."""

    public_id = models.UUIDField(default=uuid7, unique=True, editable=False)
    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="attachments")
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    content = models.BinaryField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["uploaded_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(size__lte=MAX_ATTACHMENT_BYTES), name="workorders_attachment_size"
            ),
        ]


class WorkOrderMessage(models.Model):
    """An outbox message an order's execution caused (the notify delivery id), so the
    order shows its delivery status.  Never the text: the outbox masks secrets."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="messages")
    message_id = models.UUIDField()
    channel = models.CharField(max_length=16)
    template = models.CharField(max_length=100)
    recipient = models.CharField(max_length=320)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]


class ClientContact(models.Model):
    """What the work-order centre changes of a client beyond the brokerage client's own
    fields (whose ``phone`` / ``email`` are the login phone and e-mail): contact phone
    and e-mail, more e-mails for statements, the login e-mail's verified flag, the
    client's language for notices, its login app and trading channel."""

    class App(models.TextChoices):
        MOBILE = "mobile", _("Mobile app")
        DESKTOP = "desktop", _("Desktop app")
        WEB = "web", _("Web trading")

    class TradingChannel(models.TextChoices):
        ONLINE = "online", _("Online")
        PHONE = "phone", _("Phone order")
        DEALER = "dealer", _("Dealer")

    client = models.OneToOneField(Client, on_delete=models.PROTECT, related_name="+")
    contact_phone = models.CharField(_("contact phone"), max_length=32, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    extra_emails = models.JSONField(_("more contact e-mails"), default=list, blank=True)
    email_verified = models.BooleanField(_("login e-mail verified"), default=False)
    language = models.CharField(_("language"), max_length=16, blank=True)
    login_app = models.CharField(_("login app"), max_length=16, choices=App.choices, blank=True)
    trading_channel = models.CharField(
        _("trading channel"), max_length=16, choices=TradingChannel.choices, blank=True
    )
    updated_at = models.DateTimeField()
