"""Custody members: the member's profile, its bound cards, enterprise applications.

A member is an identity ``Organisation`` of kind ``member`` with one
:class:`MemberProfile` (enterprise or individual).  Enterprises register by an
:class:`EnterpriseApplication` that the bank's counter reviews; individuals register
at once after a card authentication, which binds their first :class:`BoundCard`.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from custodesk.core.ids import uuid7
from custodesk.identity.models import Organisation, User


class MemberType(models.TextChoices):
    ENTERPRISE = "enterprise", _("Enterprise")
    INDIVIDUAL = "individual", _("Individual")


class IdType(models.TextChoices):
    USCC = "uscc", _("Unified social credit code")
    ORG_CODE = "org_code", _("Organisation code")
    CN_RIC = "cn_ric", _("Mainland resident ID")
    HKID = "hkid", _("Hong Kong identity card")


ENTERPRISE_ID_TYPES = (IdType.USCC, IdType.ORG_CODE)
INDIVIDUAL_ID_TYPES = (IdType.CN_RIC, IdType.HKID)


class MemberProfile(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        CLOSED = "closed", _("Closed")

    public_id = models.UUIDField(default=uuid7, unique=True, editable=False)
    organisation = models.OneToOneField(
        Organisation,
        on_delete=models.PROTECT,
        related_name="member_profile",
        verbose_name=_("organisation"),
    )
    member_type = models.CharField(_("member type"), max_length=16, choices=MemberType.choices)
    id_type = models.CharField(_("ID type"), max_length=16, choices=IdType.choices)
    id_number = models.CharField(_("ID number"), max_length=32)
    name = models.CharField(_("name"), max_length=200)
    legal_representative = models.CharField(_("legal representative"), max_length=100, blank=True)
    contact_name = models.CharField(_("contact"), max_length=100, blank=True)
    mobile = models.CharField(_("registered mobile"), max_length=32)
    email = models.EmailField(_("e-mail"), blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    language = models.CharField(_("language"), max_length=16, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    created_at = models.DateTimeField(_("created"))
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["organisation__code"]
        constraints = [
            models.UniqueConstraint(fields=["id_type", "id_number"], name="member_id_unique")
        ]

    def __str__(self) -> str:
        return self.name


class BoundCard(models.Model):
    """The member's settlement card (same name as the member); one is current, the
    replaced ones are kept as history."""

    class Status(models.TextChoices):
        CURRENT = "current", _("Current")
        REPLACED = "replaced", _("Replaced")

    public_id = models.UUIDField(default=uuid7, unique=True, editable=False)
    member = models.ForeignKey(
        MemberProfile, on_delete=models.PROTECT, related_name="cards", verbose_name=_("member")
    )
    bank_code = models.CharField(_("bank"), max_length=16)
    branch_code = models.CharField(_("branch"), max_length=16, blank=True)
    card_number = models.CharField(_("card number"), max_length=19)
    holder_name = models.CharField(_("card holder"), max_length=200)
    phone = models.CharField(_("bank-reserved mobile"), max_length=32)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.CURRENT
    )
    bound_at = models.DateTimeField(_("bound"))
    replaced_at = models.DateTimeField(_("replaced"), null=True, blank=True)

    class Meta:
        verbose_name = _("bound card")
        verbose_name_plural = _("bound cards")
        ordering = ["-bound_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["member"], condition=Q(status="current"), name="one_current_card"
            )
        ]

    def __str__(self) -> str:
        return f"{self.bank_code} {self.masked_number}"

    @property
    def masked_number(self) -> str:
        return mask_card(self.card_number)


def mask_card(number: str) -> str:
    return f"{number[:4]} •••• {number[-4:]}" if len(number) >= 8 else "••••"


class EnterpriseApplication(models.Model):
    """An enterprise's registration (REG-ENT) waiting for the counter's review.  The
    archive of documents is kept as uploaded, never extracted."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    class ArchiveKind(models.TextChoices):
        ZIP = "zip", _("ZIP archive")
        RAR = "rar", _("RAR archive")

    public_id = models.UUIDField(default=uuid7, unique=True, editable=False)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.SUBMITTED
    )
    id_type = models.CharField(_("ID type"), max_length=16, choices=IdType.choices)
    id_number = models.CharField(_("ID number"), max_length=32)
    company_name = models.CharField(_("company name"), max_length=200)
    legal_representative = models.CharField(_("legal representative"), max_length=100)
    contact_name = models.CharField(_("contact"), max_length=100)
    mobile = models.CharField(_("registered mobile"), max_length=32)
    email = models.EmailField(_("e-mail"), blank=True)
    address = models.CharField(_("address"), max_length=300)
    # the applicant's wish; told to nobody but the applicant (outbox)
    desired_username = models.CharField(_("desired login name"), max_length=32)
    language = models.CharField(_("language"), max_length=16, blank=True)
    # the archive: relative to CUSTODESK_VAR_DIR (uploads/enterprise/<uuid>.<kind>)
    archive_path = models.CharField(max_length=200)
    archive_name = models.CharField(_("archive file name"), max_length=200)
    archive_size = models.PositiveIntegerField(_("archive size (bytes)"))
    archive_sha256 = models.CharField(_("archive SHA-256"), max_length=64)
    archive_kind = models.CharField(_("archive type"), max_length=8, choices=ArchiveKind.choices)
    submitted_at = models.DateTimeField(_("submitted"))
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    reviewer = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("reason"), blank=True)
    member = models.OneToOneField(
        MemberProfile,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="application",
        verbose_name=_("member"),
    )

    class Meta:
        verbose_name = _("enterprise application")
        verbose_name_plural = _("enterprise applications")
        ordering = ["-submitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["id_type", "id_number"],
                condition=Q(status="submitted"),
                name="one_pending_application_per_id",
            )
        ]

    def __str__(self) -> str:
        return self.company_name


class CardAttempt(models.Model):
    """One card authentication (registration, forgotten password): what was asked of
    the verifier and its answer; the card only as its last four digits."""

    class Purpose(models.TextChoices):
        REGISTER = "register", _("Registration")
        FORGOT = "forgot", _("Forgotten password")

    public_id = models.UUIDField(default=uuid7, unique=True, editable=False)
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    bank_code = models.CharField(max_length=16)
    card_last4 = models.CharField(max_length=4)
    ok = models.BooleanField()
    reason = models.CharField(max_length=64, blank=True)
    at = models.DateTimeField()
    ip = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-at"]
