"""Deposits and withdrawals between a member's bound card and its custody sub-account
(FUND-IN / FUND-OUT).

A :class:`FundMovement` is one request, from its submission to its outcome at the
payment rail::

    submitted ──approve──▶ approved ──▶ sent ──▶ succeeded
        │                                 │  └──▶ failed (reason)
        └──reject / withdraw / expire──▶ rejected (reason)
                                          └──▶ unknown ──status query / manual──▶ succeeded | failed

Money moves only through the ledger facade: a deposit is booked (market summary →
member sub-account) when the rail confirms it and not before; a withdrawal places a
hold (a pending transfer) on the sub-account at submission, posted when the rail
confirms and voided on a reject or a rail failure.  Every change of state is a
:class:`FundMovementEvent` row (who, when, from → to, note) besides the audit record.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from custodesk.contracts.models import Contract
from custodesk.core.ids import uuid7
from custodesk.identity.models import User
from custodesk.markets.models import Market
from custodesk.members.models import BoundCard, MemberProfile


class Direction(models.TextChoices):
    DEPOSIT = "deposit", _("Deposit")
    WITHDRAWAL = "withdrawal", _("Withdrawal")


class FundMovement(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Waiting for review")
        APPROVED = "approved", _("Approved")
        SENT = "sent", _("Sent to the bank")
        UNKNOWN = "unknown", _("Outcome unknown")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        REJECTED = "rejected", _("Rejected")

    # how an unknown outcome was settled
    class Resolution(models.TextChoices):
        NONE = "", _("Not needed")
        STATUS_QUERY = "status_query", _("Status query")
        MANUAL = "manual", _("Manual resolution")

    public_id = models.UUIDField(default=uuid7, unique=True, editable=False)
    direction = models.CharField(_("direction"), max_length=16, choices=Direction.choices)
    member = models.ForeignKey(
        MemberProfile, on_delete=models.PROTECT, related_name="+", verbose_name=_("member")
    )
    contract = models.ForeignKey(
        Contract, on_delete=models.PROTECT, related_name="+", verbose_name=_("contract")
    )
    market = models.ForeignKey(
        Market, on_delete=models.PROTECT, related_name="+", verbose_name=_("market")
    )
    # minor units of ``currency`` (the contract's), always > 0
    amount = models.BigIntegerField(_("amount"))
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.SUBMITTED
    )
    # why it failed or was rejected: a stable code and the text shown to the member
    reason_code = models.CharField(_("reason code"), max_length=64, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    resolution = models.CharField(
        _("resolution"), max_length=16, choices=Resolution.choices, blank=True, default=""
    )
    # the member's key for a retried submission (unique per member)
    idempotency_key = models.CharField(_("idempotency key"), max_length=64)
    business_date = models.DateField(_("business date"))
    # the member's bound card at submission: the other side of the transfer
    card = models.ForeignKey(
        BoundCard,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("bound card"),
    )
    card_masked = models.CharField(_("bound card"), max_length=32)
    card_bank_code = models.CharField(_("card bank"), max_length=16, blank=True)
    # the reference the rail gave the transfer (blank until it answered)
    rail_reference = models.CharField(_("bank reference"), max_length=64, blank=True)
    rail_attempts = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    # when the reconciliation job asks the rail next (sent / unknown)
    next_check_at = models.DateTimeField(null=True, blank=True)
    # the ledger: a withdrawal's hold, and the posted booking (deposit or posted hold)
    hold_transfer_id = models.UUIDField(_("hold"), null=True, blank=True)
    ledger_transfer_id = models.UUIDField(_("ledger transfer"), null=True, blank=True)
    approval_request_id = models.CharField(max_length=64, blank=True)
    submitted_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("submitted by")
    )
    approved_by = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("reviewer"),
    )
    created_at = models.DateTimeField(_("submitted"))
    updated_at = models.DateTimeField(_("updated"))
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)

    class Meta:
        verbose_name = _("deposit or withdrawal")
        verbose_name_plural = _("deposits and withdrawals")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["member", "-created_at", "-id"], name="funds_member_created"),
            models.Index(fields=["market", "business_date"], name="funds_market_day"),
            models.Index(fields=["status", "next_check_at"], name="funds_status_check"),
            models.Index(fields=["contract", "direction", "business_date"], name="funds_daily"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "idempotency_key"], name="funds_idempotency_per_member"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="funds_amount_positive"),
            models.CheckConstraint(
                condition=Q(direction__in=["deposit", "withdrawal"]), name="funds_direction_valid"
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "submitted",
                        "approved",
                        "sent",
                        "unknown",
                        "succeeded",
                        "failed",
                        "rejected",
                    ]
                ),
                name="funds_status_valid",
            ),
            # a withdrawal always holds its amount; a deposit never does
            models.CheckConstraint(
                condition=Q(direction="deposit", hold_transfer_id__isnull=True)
                | Q(direction="withdrawal", hold_transfer_id__isnull=False),
                name="funds_hold_only_withdrawals",
            ),
            # money was booked exactly when the movement succeeded
            models.CheckConstraint(
                condition=Q(status="succeeded", ledger_transfer_id__isnull=False)
                | (~Q(status="succeeded") & Q(ledger_transfer_id__isnull=True)),
                name="funds_booked_iff_succeeded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.public_id}"

    @property
    def finished(self) -> bool:
        return self.status in FINISHED


FINISHED = frozenset(
    {FundMovement.Status.SUCCEEDED, FundMovement.Status.FAILED, FundMovement.Status.REJECTED}
)
# what counts against the daily limit: everything not refused
COUNTED = (
    FundMovement.Status.SUBMITTED,
    FundMovement.Status.APPROVED,
    FundMovement.Status.SENT,
    FundMovement.Status.UNKNOWN,
    FundMovement.Status.SUCCEEDED,
)


class FundMovementEvent(models.Model):
    """One change of a movement's state: who (a user, or the system: the rail's answer,
    the reconciliation job), when, from → to, and what came with it."""

    movement = models.ForeignKey(FundMovement, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField(_("at"))
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # the user's login name, or "rail" / "reconciliation" for the system
    actor_name = models.CharField(_("by"), max_length=150)
    from_status = models.CharField(_("from"), max_length=16, blank=True)
    to_status = models.CharField(_("to"), max_length=16)
    note = models.CharField(_("note"), max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("state change")
        verbose_name_plural = _("state changes")
        ordering = ["movement_id", "id"]


class FundLimit(models.Model):
    """How much a member may move in a market: per transaction and per business day, for
    deposits or withdrawals.  A row without a member is the market's default for all
    its members; a member's own row replaces it.  ``None``: no limit.  Set by staff,
    every change audited."""

    public_id = models.UUIDField(default=uuid7, unique=True, editable=False)
    market = models.ForeignKey(
        Market, on_delete=models.PROTECT, related_name="+", verbose_name=_("market")
    )
    member = models.ForeignKey(
        MemberProfile,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("member"),
    )
    direction = models.CharField(_("direction"), max_length=16, choices=Direction.choices)
    currency = models.CharField(_("currency"), max_length=3)
    per_transaction = models.BigIntegerField(_("per transaction"), null=True, blank=True)
    daily = models.BigIntegerField(_("per day"), null=True, blank=True)
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("set by")
    )

    class Meta:
        verbose_name = _("limit")
        verbose_name_plural = _("limits")
        ordering = ["market_id", "member_id", "direction", "currency"]
        constraints = [
            models.UniqueConstraint(
                fields=["market", "direction", "currency"],
                condition=Q(member__isnull=True),
                name="funds_limit_market_default",
            ),
            models.UniqueConstraint(
                fields=["market", "member", "direction", "currency"],
                condition=Q(member__isnull=False),
                name="funds_limit_member",
            ),
            models.CheckConstraint(
                condition=(Q(per_transaction__isnull=True) | Q(per_transaction__gt=0))
                & (Q(daily__isnull=True) | Q(daily__gt=0)),
                name="funds_limit_positive",
            ),
        ]
