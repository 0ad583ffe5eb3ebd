"""The ledger as a module (custodesk.core.modules)."""

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from custodesk.core.modules import ApiRouter, BuiltinRole, DemoStep, MenuItem, MenuSection, Module

from . import permissions as perms

MODULE = Module(
    console_urls="custodesk.ledger.urls",
    # URL patterns are tried in mounting order: the ledger (the busiest API) first
    api=ApiRouter("/ledger", "custodesk.ledger.api", order=10),
    menu=(
        MenuSection("ledger", _("Ledger"), 600),
        MenuItem("ledger", _("Accounts"), "console:ledger_accounts", perms.VIEW, 10),
        MenuItem("ledger", _("Transfers"), "console:ledger_transfers", perms.VIEW, 20),
        MenuItem("ledger", _("Holds"), "console:ledger_holds", perms.VIEW, 30),
        MenuItem("ledger", _("Freezes"), "console:ledger_freezes", perms.VIEW, 35),
        MenuItem("ledger", _("Refused attempts"), "console:ledger_refused", perms.VIEW, 40),
    ),
    schedule={
        "custodesk.ledger.tasks.expire_holds_and_freezes": 15,  # holds time out, freezes lift
        "custodesk.ledger.tasks.seal_transfers": 60,
        # the latest seal written outside the database (custodesk.core.anchors)
        "custodesk.ledger.tasks.anchor_seals": settings.CUSTODESK_ANCHOR_SECONDS,
    },
    permissions="custodesk.ledger.permissions",
    roles=(
        BuiltinRole("compliance", (perms.VIEW, perms.VERIFY)),
        BuiltinRole("auditor", (perms.VIEW,)),
    ),
    demo=DemoStep("custodesk.ledger.demo.seed", 50),
)
