"""Permissions of the banks module (custodesk.core.access).

The directory is public reference data (registration forms are public): reading it
needs no permission.  Nothing here is declared yet."""

from custodesk.core import access  # noqa: F401 - the directory is public
