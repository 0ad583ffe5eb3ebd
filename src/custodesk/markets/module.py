"""What the markets module adds to the running system (custodesk.core.modules)."""

from custodesk.core.modules import Module

MODULE = Module(
    permissions="custodesk.markets.permissions",
)
