"""Operation records as a module (custodesk.core.modules)."""

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from custodesk.core.modules import ApiRouter, BuiltinRole, MenuItem, MenuSection, Module

from . import permissions as perms

MODULE = Module(
    console_urls="custodesk.audit.urls",
    api=ApiRouter("/audit", "custodesk.audit.api", order=30),
    menu=(
        MenuSection("records", _("Records query"), 800),
        MenuItem("records", _("Operation records"), "console:audit_list", perms.VIEW, 10),
    ),
    # the chain's head written outside the database (custodesk.core.anchors)
    schedule={"custodesk.audit.tasks.anchor_chain": settings.CUSTODESK_ANCHOR_SECONDS},
    permissions="custodesk.audit.permissions",
    roles=(
        BuiltinRole("compliance", (perms.VIEW, perms.EXPORT, perms.VERIFY)),
        BuiltinRole("auditor", (perms.VIEW,)),
    ),
)
