"""Permissions of the brokerage module (custodesk.core.access).

All staff-only: a broker's back office is the institution's own staff (the manual's
``ClientAccountInfoFull`` is split so that makers, checkers and viewers differ)."""

from django.utils.translation import gettext_lazy as _

from custodesk.core import access

GROUP = _("Broker back office")

# clients and accounts (brokerage-core)
CLIENT_VIEW = access.declare(
    "brokerage.client.view", _("View clients and accounts"), group=GROUP, staff_only=True
)
CLIENT_MANAGE = access.declare(
    "brokerage.client.manage",
    _("Register and edit clients, agents and related persons"),
    group=GROUP,
    staff_only=True,
)
ACCOUNT_OPEN = access.declare(
    "brokerage.account.open", _("Open trading accounts"), group=GROUP, staff_only=True
)
SECURITY_ACTION = access.declare(
    "brokerage.security.act",
    _("Freeze, unfreeze, lock, unlock and close clients and accounts"),
    group=GROUP,
    staff_only=True,
)
CASH_RECORD = access.declare(
    "brokerage.cash.record",
    _("Record client deposits and withdrawals"),
    group=GROUP,
    staff_only=True,
)
APP_LOGIN_MANAGE = access.declare(
    "brokerage.app_login.manage",
    _("Set up client app logins and reset their passwords"),
    group=GROUP,
    staff_only=True,
)

# trading permissions, flags, records query, export (brokerage-list)
PERMISSION_MANAGE = access.declare(
    "brokerage.permission.manage",
    _("Change accounts' trading permissions"),
    group=GROUP,
    staff_only=True,
)
PRODUCT_MANAGE = access.declare(
    "brokerage.product.manage",
    _("Manage the trading product catalogue"),
    group=GROUP,
    staff_only=True,
)
FLAG_MANAGE = access.declare(
    "brokerage.flag.manage", _("Define and set account flags"), group=GROUP, staff_only=True
)
RECORDS_VIEW = access.declare(
    "brokerage.records.view",
    _("Query operation and login-device records"),
    group=GROUP,
    staff_only=True,
)
ACCOUNT_EXPORT = access.declare(
    "brokerage.account.export", _("Export the account list"), group=GROUP, staff_only=True
)
