"""The outbox as a module (custodesk.core.modules): console pages, API, one menu entry,
the delivery job every 5 s, permissions, roles, templates, a demo step."""

from django.utils.translation import gettext_lazy as _

from custodesk.core.modules import ApiRouter, BuiltinRole, DemoStep, MenuItem, MenuSection, Module

from . import permissions as perms

MODULE = Module(
    console_urls="custodesk.notify.urls",
    api=ApiRouter("/notify", "custodesk.notify.api", order=50),
    menu=(
        MenuSection("records", _("Records query"), 800),
        MenuItem("records", _("Outbox messages"), "console:notify_messages", perms.VIEW, 30),
    ),
    schedule={"custodesk.notify.tasks.deliver_messages": 5},  # every scheduler tick
    permissions="custodesk.notify.permissions",
    imports=("custodesk.notify.messages",),  # the outbox's own message templates
    roles=(
        BuiltinRole("compliance", (perms.VIEW,)),
        BuiltinRole("auditor", (perms.VIEW,)),
    ),
    demo=DemoStep("custodesk.notify.demo.seed", 90, notes="custodesk.notify.demo.notes"),
)
