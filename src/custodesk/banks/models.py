"""The bank and branch directory (reference data shipped with the product).

Mainland banks carry their CNAPS bank code (3 digits: 102 ICBC, 103 ABC, 104 BOC …)
and their branches the 12-digit CNAPS branch code (bank code + area + sequence);
Hong Kong banks carry ``HK`` + their 3-digit HKICL bank code and their branches
``HK`` + bank code + 3-digit branch number.  The directory is loaded from
``banks/data/directory.json`` by a data migration (idempotent, by code).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Bank(models.Model):
    class Region(models.TextChoices):
        MAINLAND = "CN", _("Mainland China")
        HONG_KONG = "HK", _("Hong Kong")

    code = models.CharField(_("bank code"), max_length=8, unique=True)
    # English name; the Chinese names in both scripts are what the forms show
    name = models.CharField(_("name"), max_length=200)
    name_hant = models.CharField(_("name (traditional Chinese)"), max_length=200)
    name_hans = models.CharField(_("name (simplified Chinese)"), max_length=200)
    swift = models.CharField(_("SWIFT code"), max_length=11, blank=True)
    region = models.CharField(_("region"), max_length=2, choices=Region.choices)
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("bank")
        verbose_name_plural = _("banks")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name_hans}"


class Branch(models.Model):
    code = models.CharField(_("branch code"), max_length=16, unique=True)
    bank = models.ForeignKey(
        Bank, on_delete=models.PROTECT, related_name="branches", verbose_name=_("bank")
    )
    name = models.CharField(_("name"), max_length=200)
    province = models.CharField(_("province"), max_length=32)
    city = models.CharField(_("city"), max_length=32)
    address = models.CharField(_("address"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("branch")
        verbose_name_plural = _("branches")
        ordering = ["code"]
        indexes = [
            # the picker's filters: bank → province → city (every prefix of it)
            models.Index(fields=["bank", "province", "city", "code"], name="branch_bank_area"),
            models.Index(fields=["province", "city", "code"], name="branch_area"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class BranchGram(models.Model):
    """Keyword search over Chinese names: every character and every pair of adjacent
    characters of a branch's name, so a substring search becomes indexed equality
    lookups (``gram = ?``) on both databases; the candidates are then confirmed
    with ``name LIKE %keyword%``."""

    branch = models.ForeignKey(Branch, on_delete=models.CASCADE, related_name="grams")
    gram = models.CharField(max_length=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["gram", "branch"], name="branch_gram_unique")
        ]
