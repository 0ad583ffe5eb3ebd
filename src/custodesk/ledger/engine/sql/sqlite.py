"""SQLite's differences from the portable statements.

SQLite has no row locks: Django opens its transactions ``IMMEDIATE`` (settings), so a
writer holds the database's one write lock from ``BEGIN`` and writers are serialised;
the "lock" statements only read.  Raw rows give UUIDs and times as text.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from .generic import GenericSQL


class SQLite(GenericSQL):
    vendor = "sqlite"

    def row_lock(self, mode: str) -> str:
        return ""  # the IMMEDIATE transaction already excludes every other writer

    def timestamp(self, value: Any) -> dt.datetime | None:
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        return super().timestamp(value)

    def uuid_param(self, u: uuid.UUID) -> Any:
        return u.hex  # how Django stores a UUIDField on SQLite
