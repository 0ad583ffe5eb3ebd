"""The approval engine as a module (custodesk.core.modules)."""

from django.utils.translation import gettext_lazy as _

from custodesk.core.modules import ApiRouter, MenuItem, MenuSection, Module

from . import permissions as perms

MODULE = Module(
    console_urls="custodesk.approvals.urls",
    api=ApiRouter("/approvals", "custodesk.approvals.api", order=40),
    menu=(
        MenuSection("approvals", _("Approvals"), 50),
        MenuItem("approvals", _("Approval inbox"), "console:approvals", None, 10),
        MenuItem("approvals", _("Approval flows"), "console:approval_flows", perms.FLOW_MANAGE, 20),
    ),
    badges=("custodesk.approvals.views.pending_badge",),
    schedule={"custodesk.approvals.tasks.expire_requests": 60},
    permissions="custodesk.approvals.permissions",
    imports=("custodesk.approvals.flows",),  # flow changes are approvable actions
)
