"""What the brokerage module adds to the running system (custodesk.core.modules)."""

from django.utils.translation import gettext_lazy as _

from custodesk.core.modules import ApiRouter, BuiltinRole, DemoStep, MenuItem, MenuSection, Module

from . import permissions as perms
from . import permissions_list as list_perms

# the detail's operation records tab reads the audit log
AUDIT_VIEW = "audit.entry.view"
_VIEW = (perms.CLIENT_VIEW, AUDIT_VIEW)
_MAKER = (
    *_VIEW,
    perms.CLIENT_MANAGE,
    perms.ACCOUNT_OPEN,
    perms.SECURITY_ACTION,
    perms.CASH_RECORD,
    perms.APP_LOGIN_MANAGE,
)

MODULE = Module(
    console_urls="custodesk.brokerage.urls",
    # one router (api.py): /brokerage/... (both halves) and /client-app/...
    api=ApiRouter("", "custodesk.brokerage.api", order=60),
    menu=(
        MenuSection("brokerage", _("Account management"), 300),
        # clients and accounts (brokerage-core)
        MenuItem("brokerage", _("Clients"), "console:brokerage_clients", perms.CLIENT_VIEW, 20),
        MenuItem(
            "brokerage",
            _("Register a client"),
            "console:brokerage_client_new",
            perms.CLIENT_MANAGE,
            30,
        ),
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
