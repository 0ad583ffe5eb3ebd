"""What the brokerage module adds to the running system (custodesk.core.modules)."""

from django.utils.translation import gettext_lazy as _

from custodesk.core.modules import ApiRouter, BuiltinRole, DemoStep, MenuItem, MenuSection, Module

from . import permissions as perms
from . import permissions_list as list_perms

_VIEW = (perms.CLIENT_VIEW,)
_MAKER = (
    perms.CLIENT_VIEW,
    perms.CLIENT_MANAGE,
    perms.ACCOUNT_OPEN,
    perms.SECURITY_ACTION,
    perms.CASH_RECORD,
    perms.APP_LOGIN_MANAGE,
)

MODULE = Module(
    console_urls="custodesk.brokerage.urls",
    # brokerage-list: its routes (/brokerage/accounts, /export/accounts, /flags, /products,
    # /records ...) until brokerage-core's api.py mounts them (router.add_router)
    api=ApiRouter("/brokerage", "custodesk.brokerage.api_list", order=60),
    menu=(
        MenuSection("brokerage", _("Account management"), 300),
        # brokerage-core's entries (Clients, Register a client) come with its pages
        # account list, trading products, flags, records query (brokerage-list)
        MenuItem(
            "brokerage",
            _("Account list"),
            "console:brokerage_accounts",
            list_perms.ACCOUNT_LIST,
            10,
        ),
        MenuItem(
            "brokerage",
            _("Trading products"),
            "console:brokerage_products",
            list_perms.PERMISSION_VIEW,
            70,
        ),
        MenuItem(
            "brokerage", _("Account flags"), "console:brokerage_flags", list_perms.FLAG_MANAGE, 75
        ),
        MenuItem(
            "brokerage",
            _("Records query"),
            "console:brokerage_records",
            list_perms.RECORDS_VIEW,
            80,
        ),
    ),
    permissions="custodesk.brokerage.permissions",
    roles=(
        BuiltinRole("broker_viewer", _VIEW, _("Broker back office: viewer")),
        BuiltinRole("broker_operator", _MAKER, _("Broker back office: operator")),
    ),
    demo=DemoStep("custodesk.brokerage.demo.seed", 60, notes="custodesk.brokerage.demo.notes"),
    imports=(
        "custodesk.brokerage.approvals",
        "custodesk.brokerage.messages",
        "custodesk.brokerage.permissions_list",
        "custodesk.brokerage.approvals_list",
    ),
)
