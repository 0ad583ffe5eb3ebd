"""What the members module adds to the running system (custodesk.core.modules)."""

from django.utils.translation import gettext_lazy as _

from custodesk.core.modules import ApiRouter, BuiltinRole, DemoStep, MenuItem, MenuSection, Module

from . import permissions as perms

MODULE = Module(
    console_urls="custodesk.members.urls",
    api=ApiRouter("/members", "custodesk.members.api", order=60),
    menu=(
        MenuSection("custody", _("Funds custody"), 300),
        MenuItem(
            "custody",
            _("Registration applications"),
            "console:member_applications",
            perms.APPLICATION_VIEW,
            20,
            kinds=("staff",),
        ),
        MenuItem(
            "custody",
            _("Members"),
            "console:member_list",
            perms.MEMBER_VIEW,
            30,
            kinds=("staff",),
        ),
    ),
    schedule={"custodesk.members.tasks.sweep_pending_archives": 3600},
    permissions="custodesk.members.permissions",
    roles=(
        BuiltinRole(
            "counter",
            (perms.APPLICATION_VIEW, perms.APPLICATION_REVIEW, perms.MEMBER_VIEW),
            _("Bank counter"),
            kinds=("staff",),
        ),
    ),
    imports=("custodesk.members.messages",),
    demo=DemoStep("custodesk.members.demo.seed", 160, notes="custodesk.members.demo.notes"),
)
