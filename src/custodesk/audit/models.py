from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from custodesk.core.ids import uuid7


class AuditEntry(models.Model):
    """One operation record (操作記錄).  Append-only and hash-chained.

    Written only by :func:`custodesk.audit.services.record`, in the transaction
    of the change it describes.  Actor and organisation are snapshots (ids and
    names as they were), not foreign keys: nothing done later to a user may
    change or cascade into the record of what that user did.  The database
    refuses UPDATE and DELETE on this table (triggers, see migration 0002).
    """

    seq = models.BigIntegerField(_("sequence"), unique=True)
    public_id = models.UUIDField(default=uuid7, unique=True, editable=False)
    at = models.DateTimeField(_("time"), db_index=True)
    actor_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    actor_username = models.CharField(_("actor"), max_length=150, blank=True)
    organisation_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    organisation_code = models.CharField(_("organisation"), max_length=32, blank=True)
    roles = models.JSONField(default=list)
    channel = models.CharField(max_length=16, blank=True)
    ip = models.CharField(_("IP address"), max_length=64, blank=True)
    device_id = models.CharField(max_length=64, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True, db_index=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64, db_index=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    approval_request_id = models.CharField(
        _("approval request"), max_length=64, blank=True, db_index=True
    )
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-seq"]
        verbose_name = _("operation record")
        verbose_name_plural = _("operation records")
        constraints = [
            models.CheckConstraint(condition=models.Q(seq__gt=0), name="audit_seq_positive")
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"


class AuditChainHead(models.Model):
    """The single row every audit writer locks: last sequence number and hash.

    Locking it serialises appends, so the chain never forks; the head also
    lets ``audit verify`` notice rows removed from the end of the chain.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="audit_head_singleton")
        ]
