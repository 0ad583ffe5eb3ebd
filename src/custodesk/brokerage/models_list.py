"""Tables of the account list (ACC-LIST): the column chooser remembered per user.

Imported by ``brokerage.models`` so that Django finds the model; tables only."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AccountListColumns(models.Model):
    """The columns one staff user chose for one list (``list_key``: "accounts", …)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    list_key = models.CharField(max_length=32)
    columns = models.JSONField(default=list)
    updated_at = models.DateTimeField()

    class Meta:
        db_table = "brokerage_list_columns"
        constraints = [
            models.UniqueConstraint(fields=["user", "list_key"], name="brokerage_list_columns_once")
        ]
