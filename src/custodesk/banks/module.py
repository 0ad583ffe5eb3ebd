"""What the banks module adds to the running system (custodesk.core.modules)."""

from custodesk.core.modules import Module

MODULE = Module(
    permissions="custodesk.banks.permissions",
)
