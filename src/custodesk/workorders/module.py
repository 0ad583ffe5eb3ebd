"""What the work-order centre adds to the running system (custodesk.core.modules)."""

from django.utils.translation import gettext_lazy as _

from custodesk.core.modules import BuiltinRole, Module

from . import permissions as perms

MODULE = Module(
    permissions="custodesk.workorders.permissions",
    roles=(
        BuiltinRole(
            "workorder_operator",
            (perms.ORDER_VIEW, perms.ORDER_CREATE),
            _("Work-order centre: operator"),
        ),
    ),
    imports=("custodesk.workorders.approvals", "custodesk.workorders.messages"),
)
