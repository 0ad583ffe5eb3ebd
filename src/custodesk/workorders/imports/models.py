"""An import (one uploaded file) and its rows.  Tables and constraints only; the writes
are in ``imports.services``.

Status of an import::

    uploaded → validating → validated → creating → done
                          ↘ failed (the file cannot be read: the reason kept)

``validated`` is the preview: every row checked, ``valid_count`` + ``invalid_count`` =
``rows_total``; confirming starts the creation.  ``progress_done`` / ``progress_total``
count the rows of the running phase (the console and the API poll them).  The file's
SHA-256 is unique: the same file uploaded again answers the import it already made.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from custodesk.core.ids import uuid7

from .columns import MAX_FILE_BYTES


class ImportBatch(models.Model):
    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        VALIDATING = "validating", _("Validating")
        VALIDATED = "validated", _("Ready to confirm")
        CREATING = "creating", _("Creating orders")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    RUNNING = (Status.UPLOADED, Status.VALIDATING, Status.CREATING)

    public_id = models.UUIDField(default=uuid7, unique=True, editable=False)
    # the batch id the created orders carry (WorkOrder.batch_id)
    batch_id = models.UUIDField(default=uuid7, unique=True, editable=False)
    sha256 = models.CharField(max_length=64, unique=True)
    file_name = models.CharField(_("file name"), max_length=200)
    file_format = models.CharField(_("format"), max_length=8)
    size = models.PositiveIntegerField(_("size"))
    content = models.BinaryField()
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.UPLOADED
    )
    failure_reason = models.CharField(_("failure reason"), max_length=500, blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    valid_count = models.PositiveIntegerField(default=0)
    invalid_count = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"))
    validated_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("work-order import")
        ordering = ["-uploaded_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(size__lte=MAX_FILE_BYTES), name="workorder_imports_size"
            ),
            models.CheckConstraint(
                condition=~Q(status="failed") | ~Q(failure_reason=""),
                name="workorder_imports_failed_has_reason",
            ),
        ]


class ImportRow(models.Model):
    """One row of the file as read, and what became of it."""

    class Status(models.TextChoices):
        VALID = "valid", _("Valid")
        INVALID = "invalid", _("Invalid")
        CREATED = "created", _("Order created")
        FAILED = "failed", _("Not created")

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="rows")
    row_number = models.PositiveIntegerField(_("row"))
    kind = models.CharField(_("kind"), max_length=200, blank=True)  # as written
    kind_code = models.CharField(max_length=32, blank=True)  # understood
    target = models.CharField(_("target"), max_length=200, blank=True)
    close_kind = models.CharField(_("closing kind"), max_length=200, blank=True)
    reason = models.CharField(_("reason"), max_length=1000, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    # [{"field", "rule", "params"}] — the message is rendered in the reader's language
    errors = models.JSONField(default=list, blank=True)
    order_number = models.CharField(_("work order number"), max_length=16, blank=True)

    class Meta:
        ordering = ["batch_id", "row_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "row_number"], name="workorder_imports_row_once"
            ),
        ]
        indexes = [
            models.Index(fields=["batch", "status", "row_number"], name="workorder_imports_status")
        ]
