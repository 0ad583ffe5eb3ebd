"""What the markets module adds to the running system (custodesk.core.modules)."""

from django.utils.translation import gettext_lazy as _

from custodesk.core.modules import BuiltinRole, Module

from . import permissions as perms

MODULE = Module(
    permissions="custodesk.markets.permissions",
    roles=(
        BuiltinRole(
            "market_officer",
            (perms.MARKET_VIEW, perms.MARKET_MANAGE),
            _("Trading market officer"),
        ),
        # a market's own users (its administrator holds every permission of its kind)
        BuiltinRole("market_staff", (perms.OWN_MARKET_VIEW,), _("Market staff"), kinds=("market",)),
    ),
    imports=("custodesk.markets.approvals",),
)
