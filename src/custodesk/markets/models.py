"""Trading markets whose members' funds the bank holds in custody (MKT-ADMIN).

A market is an organisation of kind ``market`` (its own users), a custody summary
account at a bank that members pay into, a suspense account for money that cannot be
credited, the currencies it settles in, and the versioned service agreement a member
accepts when signing a contract.  Its ledger accounts are opened when it is created,
one summary and one suspense account per supported currency
(:class:`MarketLedgerAccount`); ``summary_ledger_account_id`` and
``suspense_ledger_account_id`` are those of its first currency.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from custodesk.core.ids import uuid7

CURRENCIES = ("CNY", "HKD", "USD")


class Market(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")

    public_id = models.UUIDField(default=uuid7, unique=True, editable=False)
    code = models.CharField(_("market code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=200)
    organisation = models.OneToOneField(
        "identity.Organisation",
        on_delete=models.PROTECT,
        related_name="market",
        verbose_name=_("organisation"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    status_reason = models.CharField(_("reason"), max_length=500, blank=True)
    summary_account_no = models.CharField(_("summary account number"), max_length=32)
    summary_account_name = models.CharField(_("summary account name"), max_length=200)
    summary_bank = models.CharField(_("opening bank"), max_length=200)
    summary_branch = models.ForeignKey(
        "banks.Branch",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("opening branch"),
    )
    b2b_review = models.BooleanField(_("B2B trade review"), default=False)
    currencies = models.JSONField(_("currencies"), default=list)
    summary_ledger_account_id = models.BigIntegerField(null=True, blank=True)
    suspense_ledger_account_id = models.BigIntegerField(null=True, blank=True)
    agreement_version = models.PositiveIntegerField(_("agreement version"), default=0)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("trading market")
        verbose_name_plural = _("trading markets")
        ordering = ["code"]
        indexes = [models.Index(fields=["status", "code"], name="market_status_code")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["active", "suspended"]), name="market_status_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class MarketLedgerAccount(models.Model):
    """The market's ledger accounts in one currency (ids of ``ledger.facade`` accounts)."""

    market = models.ForeignKey(Market, on_delete=models.PROTECT, related_name="ledger_accounts")
    currency = models.CharField(_("currency"), max_length=3)
    summary_account_id = models.BigIntegerField()
    suspense_account_id = models.BigIntegerField()

    class Meta:
        ordering = ["market_id", "currency"]
        constraints = [
            models.UniqueConstraint(fields=["market", "currency"], name="market_account_currency")
        ]


class ServiceAgreement(models.Model):
    """One version of the service agreement a member accepts when signing a contract
    with the market (CT-SIGN / M-SIGN record the version and the time)."""

    public_id = models.UUIDField(default=uuid7, unique=True, editable=False)
    market = models.ForeignKey(Market, on_delete=models.PROTECT, related_name="agreements")
    version = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    effective_from = models.DateTimeField(_("effective from"))
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        "identity.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("service agreement")
        verbose_name_plural = _("service agreements")
        ordering = ["market_id", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["market", "version"], name="agreement_version_unique"),
            models.CheckConstraint(condition=Q(version__gte=1), name="agreement_version_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.market_id} v{self.version}"
