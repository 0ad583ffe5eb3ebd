"""Permissions of the banks module (custodesk.core.access)."""

from custodesk.core import access  # noqa: F401 - declarations follow as the module grows
