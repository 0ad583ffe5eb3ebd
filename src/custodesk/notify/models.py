"""The outbox: one row per message to deliver (SMS, e-mail, webhook), and the webhook
endpoints messages may be sent to.

A message is written in the transaction of the change that causes it
(``services.enqueue``) and delivered later by the worker (``services.deliver_due``).
Its ``public_id`` is also its **delivery id**: every attempt carries it, so a receiver
that sees the same message twice (a worker killed after sending, before recording it)
can tell.  ``secret_context`` holds what must reach the recipient once and never be
kept (a password, a one-time code): it is nulled in the transaction that records the
message as sent or given up.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from custodesk.core.ids import uuid7


class WebhookEndpoint(models.Model):
    """Where webhooks for one receiver (a market, a partner) go, with the key that signs
    them (HMAC-SHA256; the receiver holds the same key)."""

    public_id = models.UUIDField(default=uuid7, unique=True, editable=False)
    code = models.SlugField(_("code"), max_length=64, unique=True)
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(_("signing secret"), max_length=200)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.code


class Message(models.Model):
    class Channel(models.TextChoices):
        SMS = "sms", _("SMS")
        EMAIL = "email", _("E-mail")
        WEBHOOK = "webhook", _("Webhook")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed (will retry)")
        GAVE_UP = "gave_up", _("Gave up")

    public_id = models.UUIDField(default=uuid7, unique=True, editable=False)  # = delivery id
    channel = models.CharField(max_length=16, choices=Channel.choices)
    template = models.CharField(max_length=100)
    language = models.CharField(max_length=16)
    recipient = models.CharField(max_length=320)  # e-mail address, phone number, endpoint code
    endpoint = models.ForeignKey(
        WebhookEndpoint, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    context = models.JSONField(default=dict)  # what may be kept and shown
    secret_context = models.JSONField(null=True, blank=True)  # nulled once sent / given up
    had_secrets = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    leased_until = models.DateTimeField(null=True, blank=True)  # a worker is delivering it
    lease_id = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    gave_up_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # what the worker asks for: due messages, oldest due first
            models.Index(
                fields=["next_attempt_at", "id"],
                name="notify_message_due",
                condition=Q(status__in=["pending", "failed"]),
            ),
            models.Index(fields=["status", "id"], name="notify_message_status"),
            models.Index(fields=["recipient", "id"], name="notify_message_recipient"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(channel__in=["sms", "email", "webhook"]), name="notify_message_channel"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "sent", "failed", "gave_up"]),
                name="notify_message_status_valid",
            ),
            # a finished message keeps no secret
            models.CheckConstraint(
                condition=Q(status__in=["pending", "failed"]) | Q(secret_context__isnull=True),
                name="notify_message_no_secret_when_done",
            ),
            models.CheckConstraint(
                condition=~Q(channel="webhook") | Q(endpoint__isnull=False),
                name="notify_message_webhook_endpoint",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.template} → {self.recipient}"
