"""Permissions of the markets module (custodesk.core.access)."""

from django.utils.translation import gettext_lazy as _

from custodesk.core import access

GROUP = _("Trading markets")
MARKET_VIEW = access.declare(
    "markets.market.view", _("View every trading market"), group=GROUP, staff_only=True
)
MARKET_MANAGE = access.declare(
    "markets.market.manage",
    _("Create, edit, suspend and reactivate trading markets; publish agreements"),
    group=GROUP,
    staff_only=True,
)
# a market's own users: their own market only
OWN_MARKET_VIEW = access.declare(
    "markets.own_market.view", _("View the own trading market"), group=GROUP
)
