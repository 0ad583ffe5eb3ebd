"""Maker–checker: flows (configuration) and requests (what was asked, decided, executed)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from custodesk.core.ids import uuid7
from custodesk.identity.models import Organisation, Role, User

DEFAULT_ACTION = "*"


class ApprovalFlow(models.Model):
    """How requests of one action type are reviewed, for one organisation or for all.

    ``organisation`` empty: the flow applies to every organisation without its own.
    ``action_type`` ``"*"``: the default flow for action types without a flow.
    """

    class Mode(models.TextChoices):
        AUTO = "auto", _("No review (applied at once)")
        REVIEW = "review", _("Review")

    public_id = models.UUIDField(default=uuid7, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action_type = models.CharField(_("action type"), max_length=64)
    mode = models.CharField(_("mode"), max_length=16, choices=Mode.choices, default=Mode.REVIEW)
    expiry_hours = models.PositiveIntegerField(_("expires after (hours)"), default=72)
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "action_type"],
                condition=Q(organisation__isnull=False),
                name="flow_per_org_action",
            ),
            models.UniqueConstraint(
                fields=["action_type"],
                condition=Q(organisation__isnull=True),
                name="flow_global_action",
            ),
            models.CheckConstraint(condition=Q(expiry_hours__gte=1), name="flow_expiry_positive"),
        ]


class FlowLevel(models.Model):
    """One level of a flow: who may approve, how many distinct approvals it needs.

    ``min_amount`` (minor units, with ``amount_currency``) makes the level an amount
    tier: it applies only to requests whose amount is **at or above** the threshold
    (the threshold itself is inclusive on the stricter side).
    """

    flow = models.ForeignKey(ApprovalFlow, on_delete=models.CASCADE, related_name="levels")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(_("name"), max_length=100, blank=True)
    required_approvals = models.PositiveSmallIntegerField(_("approvals needed"), default=1)
    forbid_initiator = models.BooleanField(_("approver must not be the initiator"), default=True)
    min_amount = models.BigIntegerField(_("from amount (minor units)"), null=True, blank=True)
    amount_currency = models.CharField(max_length=3, blank=True)
    approver_users = models.ManyToManyField(User, blank=True, related_name="+")
    # Role codes, resolved in the request's organisation at submission (so a global
    # flow can name "approver" for every organisation).
    approver_role_codes = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["flow", "position"], name="level_position_unique"),
            models.CheckConstraint(
                condition=Q(required_approvals__gte=1), name="level_needs_an_approval"
            ),
            models.CheckConstraint(
                condition=Q(min_amount__isnull=True) | Q(min_amount__gte=0),
                name="level_threshold_non_negative",
            ),
        ]


class ApprovalRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved and executed")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        EXPIRED = "expired", _("Expired")

    public_id = models.UUIDField(default=uuid7, unique=True, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    action_type = models.CharField(_("action type"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    # What makes two requests "the same" for the duplicate-pending guard.
    dedup_key = models.CharField(max_length=200)
    payload = models.JSONField()
    summary = models.CharField(_("summary"), max_length=300)
    preview = models.JSONField(_("preview"), default=dict)  # {"before": ..., "after": ...}
    amount = models.BigIntegerField(_("amount (minor units)"), null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    auto_approved = models.BooleanField(default=False)
    current_level = models.PositiveSmallIntegerField(default=1)
    level_count = models.PositiveSmallIntegerField(default=0)
    initiator = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("submitted"), db_index=True)
    expires_at = models.DateTimeField(_("expires"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    reject_reason = models.TextField(_("reject reason"), blank=True)
    result = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "dedup_key"],
                condition=Q(status="pending"),
                name="one_pending_request_per_object_action",
            ),
        ]
        indexes = [models.Index(fields=["status", "expires_at"])]

    def __str__(self) -> str:
        return f"{self.action_type} {self.public_id}"


class RequestLevel(models.Model):
    """The levels a request goes through, fixed when it is submitted."""

    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="levels")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=100, blank=True)
    required_approvals = models.PositiveSmallIntegerField()
    forbid_initiator = models.BooleanField()

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["request", "position"], name="request_level_unique")
        ]


class RequestAssignee(models.Model):
    """Who may decide at a level: a user, a role's holders, or an exclusion (after a transfer)."""

    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="assignees")
    level = models.PositiveSmallIntegerField()
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    role = models.ForeignKey(
        Role, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    excluded = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, role__isnull=True)
                | Q(user__isnull=True, role__isnull=False, excluded=False),
                name="assignee_user_xor_role",
            )
        ]
        indexes = [models.Index(fields=["request", "level"])]


class RequestAction(models.Model):
    """The history of a request: every submit, decision, transfer, CC, withdrawal, expiry."""

    class Kind(models.TextChoices):
        SUBMIT = "submit", _("Submitted")
        APPROVE = "approve", _("Approved")
        REJECT = "reject", _("Rejected")
        TRANSFER = "transfer", _("Transferred")
        CC = "cc", _("CC")
        WITHDRAW = "withdraw", _("Withdrawn")
        EXPIRE = "expire", _("Expired")
        EXECUTE = "execute", _("Executed")

    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    level = models.PositiveSmallIntegerField(null=True, blank=True)
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    target = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    comment = models.TextField(blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["actor", "kind"]), models.Index(fields=["target", "kind"])]
