"""What the work-order centre adds to the running system (custodesk.core.modules)."""

from django.utils.translation import gettext_lazy as _

from custodesk.core.modules import ApiRouter, BuiltinRole, DemoStep, MenuItem, Module

from . import permissions as perms

# the order's target and the outbox's message records are read; the approver's
# decision executes through the brokerage services, which check these rights
_READ = ("brokerage.client.view", "notify.message.view")
_EXECUTE = ("brokerage.security.act", "brokerage.app_login.manage", "brokerage.client.manage")

MODULE = Module(
    console_urls="custodesk.workorders.urls",
    api=ApiRouter("/workorders", "custodesk.workorders.api", order=65),
    menu=(
        MenuItem(
            "brokerage", _("Work-order centre"), "console:workorders_centre", perms.ORDER_VIEW, 40
        ),
    ),
    schedule={"custodesk.workorders.tasks.execute_approved_orders": 300},
    permissions="custodesk.workorders.permissions",
    roles=(
        BuiltinRole(
            "workorder_operator",
            (perms.ORDER_VIEW, perms.ORDER_CREATE, *_READ),
            _("Work-order centre: operator"),
        ),
        BuiltinRole(
            "workorder_approver",
            (perms.ORDER_VIEW, perms.ORDER_DECIDE, *_READ, *_EXECUTE),
            _("Work-order centre: approver"),
        ),
    ),
    demo=DemoStep("custodesk.workorders.demo.seed", 70, notes="custodesk.workorders.demo.notes"),
    imports=(
        "custodesk.workorders.approvals",
        "custodesk.workorders.messages",
        "custodesk.workorders.detail_tab",
        "custodesk.workorders.list_action",
    ),
)
