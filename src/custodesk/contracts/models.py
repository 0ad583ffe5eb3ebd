"""Contracts between a member and a trading market (CT-SIGN / M-SIGN, CT-CANCEL / M-CANCEL).

A contract exists from the moment its signing is approved (enterprise: the reviewer;
individual: at once after the SMS code): the signing and cancelling requests, their
reviewers and reject reasons live in the approval engine (``approvals``), the contract
keeps the request ids.  Approval opens the member's custody sub-account in the ledger
(``sub_ledger_account_id``); cancelling closes it.  Rows are never deleted: a cancelled
contract stays, and the same member code can be signed again.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from custodesk.core.ids import uuid7
from custodesk.identity.models import User
from custodesk.markets.models import Market
from custodesk.members.models import BoundCard, MemberProfile


class Contract(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("In force")
        CANCELLED = "cancelled", _("Cancelled")

    public_id = models.UUIDField(default=uuid7, unique=True, editable=False)
    member = models.ForeignKey(
        MemberProfile, on_delete=models.PROTECT, related_name="contracts", verbose_name=_("member")
    )
    market = models.ForeignKey(
        Market, on_delete=models.PROTECT, related_name="contracts", verbose_name=_("market")
    )
    member_code = models.CharField(_("member code"), max_length=32)
    # the settlement card bound for the contract (the member's current card; a card
    # change moves every contract in force to the new card, the old row is kept)
    card = models.ForeignKey(
        BoundCard, on_delete=models.PROTECT, related_name="contracts", verbose_name=_("bound card")
    )
    currency = models.CharField(_("currency"), max_length=3)
    agreement_version = models.PositiveIntegerField(_("service agreement version"))
    agreement_accepted_at = models.DateTimeField(_("agreement accepted"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    sub_ledger_account_id = models.BigIntegerField(_("custody sub-account"), null=True)
    submitted_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("submitted by")
    )
    approved_by = models.ForeignKey(
        User, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("reviewer")
    )
    sign_request_id = models.CharField(max_length=64, blank=True)
    signed_at = models.DateTimeField(_("signed"))
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cancel_request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["-signed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["market", "member_code"],
                condition=Q(status="active"),
                name="contract_member_code_per_market",
            ),
            models.UniqueConstraint(
                fields=["market", "member"],
                condition=Q(status="active"),
                name="contract_one_active_per_market",
            ),
            models.CheckConstraint(
                condition=Q(status="active", cancelled_at__isnull=True)
                | Q(status="cancelled", cancelled_at__isnull=False),
                name="contract_cancelled_consistent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.market_id}:{self.member_code}"


class ContractMarketState(models.Model):
    """What the market reports about a contract and only the market knows: trades not
    settled yet and open disputes (both block a cancel).  The latest report; every
    report is an operation record with before and after."""

    contract = models.OneToOneField(Contract, on_delete=models.PROTECT, related_name="market_state")
    open_trades = models.PositiveIntegerField(_("unsettled trades"), default=0)
    open_disputes = models.PositiveIntegerField(_("open disputes"), default=0)
    note = models.CharField(_("note"), max_length=500, blank=True)
    reported_at = models.DateTimeField(_("reported"))
    reported_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("reported by")
    )

    class Meta:
        verbose_name = _("market report on a contract")
        verbose_name_plural = _("market reports on contracts")
