"""What the brokerage module adds to the running system (custodesk.core.modules)."""

from django.utils.translation import gettext_lazy as _

from custodesk.core.modules import ApiRouter, BuiltinRole, DemoStep, MenuItem, MenuSection, Module

from . import permissions as perms

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
    api=ApiRouter("", "custodesk.brokerage.api", order=60),
    menu=(
        MenuSection("brokerage", _("Account management"), 300),
        MenuItem("brokerage", _("Clients"), "console:brokerage_clients", perms.CLIENT_VIEW, 20),
        MenuItem(
            "brokerage",
            _("Register a client"),
            "console:brokerage_client_new",
            perms.CLIENT_MANAGE,
            30,
        ),
    ),
    permissions="custodesk.brokerage.permissions",
    roles=(
        BuiltinRole("broker_viewer", _VIEW, _("Broker back office: viewer")),
        BuiltinRole("broker_operator", _MAKER, _("Broker back office: operator")),
    ),
    demo=DemoStep("custodesk.brokerage.demo.seed", 60, notes="custodesk.brokerage.demo.notes"),
    imports=("custodesk.brokerage.approvals", "custodesk.brokerage.messages"),
)
