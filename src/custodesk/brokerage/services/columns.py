"""The account list's column chooser, remembered per user (a display preference of
the user's own: not a business change, so no operation record)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from custodesk.core import access
from custodesk.core.errors import FieldError, ValidationFailed
from custodesk.identity.models import User

from .. import permissions_list as perms
from ..models_list import AccountListColumns
from ..selectors.list_export import COLUMN_KEYS, DEFAULT_COLUMNS

LIST_KEY = "accounts"


def columns_of(user: User) -> list[str]:
    row = AccountListColumns.objects.filter(user=user, list_key=LIST_KEY).first()
    if row is None:
        return list(DEFAULT_COLUMNS)
    return [c for c in row.columns if c in COLUMN_KEYS] or list(DEFAULT_COLUMNS)


@transaction.atomic(durable=True)
def columns_choose(*, actor: User, columns: list[str], now: dt.datetime) -> list[str]:
    """Remember the columns ``actor`` shows (in the list's order); the account number
    is always shown.  Raises PermissionDenied, ValidationFailed (``columns``)."""
    access.require(actor, perms.ACCOUNT_LIST)
    unknown = [c for c in columns if c not in COLUMN_KEYS]
    if unknown:
        raise ValidationFailed(
            [FieldError("columns", "choice", _("Unknown column: %(c)s") % {"c": unknown[0]})]
        )
    chosen = [c for c in COLUMN_KEYS if c in set(columns) or c == "number"]
    AccountListColumns.objects.update_or_create(
        user=actor, list_key=LIST_KEY, defaults={"columns": chosen, "updated_at": now}
    )
    return chosen
