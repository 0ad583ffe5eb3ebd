"""The permissions the account list, trading permissions, flags and records query use.

Declared in ``permissions.py`` (the module's one list); the order system's question
"may this account trade?" has its own, held by the order system's API user only."""

from django.utils.translation import gettext_lazy as _

from custodesk.core import access

from .permissions import (
    ACCOUNT_EXPORT,
    CLIENT_VIEW,
    FLAG_MANAGE,
    GROUP,
    PERMISSION_MANAGE,
    PRODUCT_MANAGE,
    RECORDS_VIEW,
)

ACCOUNT_LIST = CLIENT_VIEW
PERMISSION_VIEW = CLIENT_VIEW
TRADE_CHECK = access.declare(
    "brokerage.trade_check",
    _("Ask whether an account may trade a product (order system)"),
    group=GROUP,
    staff_only=True,
)

__all__ = [
    "ACCOUNT_EXPORT",
    "ACCOUNT_LIST",
    "FLAG_MANAGE",
    "PERMISSION_MANAGE",
    "PERMISSION_VIEW",
    "PRODUCT_MANAGE",
    "RECORDS_VIEW",
    "TRADE_CHECK",
]
