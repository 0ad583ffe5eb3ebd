"""What the markets module adds to the running system (custodesk.core.modules)."""

from django.utils.translation import gettext_lazy as _

from custodesk.core.modules import ApiRouter, BuiltinRole, DemoStep, MenuItem, MenuSection, Module

from . import permissions as perms

MODULE = Module(
    console_urls="custodesk.markets.urls",
    api=ApiRouter("/markets", "custodesk.markets.api", order=150),
    menu=(
        MenuSection("custody", _("Funds custody"), 300),
        MenuItem("custody", _("Trading markets"), "console:markets_list", perms.MARKET_VIEW, 10),
        MenuItem(
            "custody",
            _("My trading market"),
            "console:markets_own",
            perms.OWN_MARKET_VIEW,
            11,
            kinds=("market",),
        ),
    ),
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
    demo=DemoStep("custodesk.markets.demo.seed", 150, notes="custodesk.markets.demo.notes"),
    imports=("custodesk.markets.approvals",),
)
