"""The ledger: TigerBeetle-style accounts and transfers, exact integer minor units.

Everything that moves money is a transfer between two accounts of the same
currency.  Accounts carry four counters (posted/pending × debits/credits) that
change in the same transaction as the transfer rows; the database itself
refuses a negative counter, a non-positive amount, a duplicate idempotency key
and a balance that breaks the account's flags.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from custodesk.core.ids import uuid7


class LedgerAccount(models.Model):
    class Kind(models.TextChoices):
        MEMBER_SUB = "member_sub", _("Custody sub-account")
        MARKET_SUMMARY = "market_summary", _("Custody summary account")
        MARKET_SUSPENSE = "market_suspense", _("Suspense")
        CLIENT_CASH = "client_cash", _("Client cash")
        BANK_CLEARING = "bank_clearing", _("Bank clearing")
        FEE = "fee", _("Fees")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    id = models.BigAutoField(primary_key=True)
    public_id = models.UUIDField(default=uuid7, unique=True, editable=False)
    code = models.CharField(_("account number"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    currency = models.CharField(_("currency"), max_length=3)
    owner_type = models.CharField(max_length=32, blank=True)
    owner_id = models.CharField(max_length=64, blank=True, db_index=True)
    organisation_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    debits_must_not_exceed_credits = models.BooleanField(default=False)
    credits_must_not_exceed_debits = models.BooleanField(default=False)
    # A hot account (a market's summary account: every deposit touches it) keeps its
    # counters in HOT_SLOTS shard rows so concurrent transfers do not queue on one row.
    hot = models.BooleanField(default=False)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN
    )
    debits_posted = models.BigIntegerField(default=0)
    credits_posted = models.BigIntegerField(default=0)
    debits_pending = models.BigIntegerField(default=0)
    credits_pending = models.BigIntegerField(default=0)
    # Active freezes, kept as counters so a transfer checks them in the same row.
    debit_blocks = models.IntegerField(default=0)
    credit_blocks = models.IntegerField(default=0)
    frozen_amount = models.BigIntegerField(default=0)
    created_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "ledger_account"
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    debits_posted__gte=0,
                    credits_posted__gte=0,
                    debits_pending__gte=0,
                    credits_pending__gte=0,
                    debit_blocks__gte=0,
                    credit_blocks__gte=0,
                    frozen_amount__gte=0,
                ),
                name="ledger_account_counters_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(debits_must_not_exceed_credits=False)
                | Q(
                    credits_posted__gte=F("debits_posted")
                    + F("debits_pending")
                    + F("frozen_amount")
                ),
                name="ledger_debits_must_not_exceed_credits",
            ),
            models.CheckConstraint(
                condition=Q(credits_must_not_exceed_debits=False)
                | Q(debits_posted__gte=F("credits_posted") + F("credits_pending")),
                name="ledger_credits_must_not_exceed_debits",
            ),
            models.CheckConstraint(
                condition=~Q(
                    debits_must_not_exceed_credits=True, credits_must_not_exceed_debits=True
                ),
                name="ledger_flags_exclusive",
            ),
            models.CheckConstraint(
                condition=Q(hot=False)
                | Q(debits_must_not_exceed_credits=False, credits_must_not_exceed_debits=False),
                name="ledger_hot_accounts_have_no_balance_flags",
            ),
            models.CheckConstraint(
                condition=Q(currency__regex=r"^[A-Z]{3}$"), name="ledger_currency_iso"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.currency})"


HOT_SLOTS = 16


class AccountShard(models.Model):
    """Counter shards of a hot account; its balance = account row + Σ shards.

    Hot accounts carry no balance rule (a database constraint says so), so no
    transfer needs to read their total under lock.
    """

    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="shards")
    slot = models.SmallIntegerField()
    debits_posted = models.BigIntegerField(default=0)
    credits_posted = models.BigIntegerField(default=0)
    debits_pending = models.BigIntegerField(default=0)
    credits_pending = models.BigIntegerField(default=0)

    class Meta:
        db_table = "ledger_account_shard"
        constraints = [
            models.UniqueConstraint(fields=["account", "slot"], name="ledger_shard_slot_unique"),
            # a shard may go negative (a hold placed on one slot, released on another);
            # the account's total is what must stay non-negative (ledger verify).
        ]


class LedgerTransfer(models.Model):
    """An immutable booking.  Only ``pending_state`` of a pending transfer changes
    (pending → posted / voided / expired), when a later transfer resolves it."""

    class Flag(models.TextChoices):
        POSTED = "posted", _("Posted")
        PENDING = "pending", _("Pending (hold)")
        POST_PENDING = "post_pending", _("Posts a hold")
        VOID_PENDING = "void_pending", _("Voids a hold")

    class PendingState(models.TextChoices):
        PENDING = "pending", _("Held")
        POSTED = "posted", _("Posted")
        VOIDED = "voided", _("Voided")
        EXPIRED = "expired", _("Expired")

    id = models.BigAutoField(primary_key=True)
    public_id = models.UUIDField(default=uuid7, unique=True, editable=False)
    # Indexes are chosen for the write path (every one costs each booking): the unique
    # key index is partial (most transfers have no key), the account foreign keys are
    # covered by the (account, created_at) indexes below, and no column has a LIKE index.
    idempotency_key = models.CharField(max_length=128, null=True, blank=True)  # noqa: DJ001 (NULL = no key)
    debit_account = models.ForeignKey(
        LedgerAccount, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    credit_account = models.ForeignKey(
        LedgerAccount, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    flag = models.CharField(max_length=16, choices=Flag.choices)
    pending = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="resolutions",
        db_index=False,  # the partial unique index ledger_pending_resolved_once covers it
    )
    pending_state = models.CharField(max_length=16, choices=PendingState.choices, blank=True)
    timeout_at = models.DateTimeField(null=True, blank=True)
    kind = models.CharField(_("kind"), max_length=32)
    business_date = models.DateField(_("business date"), db_index=True)
    group_id = models.CharField(max_length=64, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    requested_by = models.BigIntegerField(null=True, blank=True)
    request_digest = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        db_table = "ledger_transfer"
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="ledger_transfer_amount_positive"
            ),
            models.CheckConstraint(
                condition=~Q(debit_account=F("credit_account")),
                name="ledger_transfer_distinct_accounts",
            ),
            # a resolving transfer (and only one) names the hold it resolves
            models.CheckConstraint(
                condition=Q(flag__in=["post_pending", "void_pending"], pending__isnull=False)
                | (~Q(flag__in=["post_pending", "void_pending"]) & Q(pending__isnull=True)),
                name="ledger_transfer_pending_iff_resolving",
            ),
            models.UniqueConstraint(
                fields=["pending"],
                condition=Q(pending__isnull=False),
                name="ledger_pending_resolved_once",
            ),
            models.UniqueConstraint(
                fields=["idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="ledger_transfer_idempotency_key_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["debit_account", "created_at"]),
            models.Index(fields=["credit_account", "created_at"]),
            # holds still open, by expiry (the expiry job, the pending-holds page)
            models.Index(
                fields=["timeout_at"],
                condition=Q(pending_state="pending"),
                name="ledger_transfer_open_holds",
            ),
        ]


class RefusedTransfer(models.Model):
    """A transfer that was asked for and refused: who, what, why (auditors see attempts)."""

    id = models.BigAutoField(primary_key=True)
    idempotency_key = models.CharField(max_length=128, null=True, blank=True, unique=True)
    request = models.JSONField()
    code = models.CharField(max_length=64, db_index=True)
    detail = models.CharField(max_length=300, blank=True)
    debit_account_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    credit_account_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    requested_by = models.BigIntegerField(null=True, blank=True)
    request_digest = models.CharField(max_length=64, blank=True)
    # A retry (the same idempotency key, the same request) is answered with the first
    # refusal, replayed, and recorded as an attempt of its own pointing at that one
    # (its idempotency_key stays empty: the key names the first attempt).
    replay_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replays",
        db_index=False,
    )  # fmt: skip
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "ledger_refused_transfer"
        ordering = ["-id"]


class AccountFreeze(models.Model):
    class Kind(models.TextChoices):
        FULL = "full", _("Full freeze")
        DEBIT = "debit", _("Debit freeze (no money out)")
        CREDIT = "credit", _("Credit freeze (no money in)")
        AMOUNT = "amount", _("Amount freeze")

    public_id = models.UUIDField(default=uuid7, unique=True, editable=False)
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="freezes")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    amount = models.BigIntegerField(null=True, blank=True)
    reason_code = models.CharField(_("reason code"), max_length=64)
    legal_reference = models.CharField(_("legal reference"), max_length=200, blank=True)
    placed_by = models.BigIntegerField(null=True, blank=True)
    placed_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.BigIntegerField(null=True, blank=True)
    release_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        db_table = "ledger_freeze"
        ordering = ["-placed_at"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="amount") & Q(amount__isnull=False) & Q(amount__gt=0))
                | (~Q(kind="amount") & Q(amount__isnull=True)),
                name="ledger_freeze_amount_only_for_amount_freezes",
            )
        ]


class TransferSeal(models.Model):
    """A checkpoint of the transfer hash chain: transfers (from_id, to_id] in id order."""

    id = models.BigAutoField(primary_key=True)
    from_id = models.BigIntegerField()
    to_id = models.BigIntegerField(unique=True)
    count = models.IntegerField()
    digest = models.CharField(max_length=64)
    prev_digest = models.CharField(max_length=64)
    sealed_at = models.DateTimeField()

    class Meta:
        db_table = "ledger_seal"
        ordering = ["id"]
