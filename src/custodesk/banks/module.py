"""What the banks module adds to the running system (custodesk.core.modules)."""

from custodesk.core.modules import ApiRouter, Module

MODULE = Module(
    console_urls="custodesk.banks.urls",
    api=ApiRouter("/banks", "custodesk.banks.api", order=200),
    permissions="custodesk.banks.permissions",
    imports=("custodesk.banks.reference",),
)
