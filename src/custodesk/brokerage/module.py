"""What the brokerage module adds to the running system (custodesk.core.modules)."""

from django.utils.translation import gettext_lazy as _

from custodesk.core.modules import ApiRouter, MenuItem, MenuSection, Module

from . import permissions_list as list_perms

MODULE = Module(
    permissions="custodesk.brokerage.permissions",
    console_urls="custodesk.brokerage.urls",
    api=ApiRouter("/brokerage", "custodesk.brokerage.api_list"),
    menu=(
        MenuSection("brokerage", _("Account management"), 300),
        # account list, trading products, flags, records query (brokerage-list)
        MenuItem("brokerage", _("Account list"), "console:brokerage_accounts",
                 list_perms.ACCOUNT_LIST, 10),
        MenuItem("brokerage", _("Trading products"), "console:brokerage_products",
                 list_perms.PERMISSION_VIEW, 70),
        MenuItem("brokerage", _("Account flags"), "console:brokerage_flags",
                 list_perms.FLAG_MANAGE, 75),
        MenuItem("brokerage", _("Records query"), "console:brokerage_records",
                 list_perms.RECORDS_VIEW, 80),
    ),  # fmt: skip
    imports=("custodesk.brokerage.permissions_list", "custodesk.brokerage.approvals_list"),
)
