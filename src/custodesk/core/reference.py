"""Reference tables: data the product ships and loads itself (a data migration, and again
on ``post_migrate`` after a ``flush``), such as the bank directory.

A module registers its reference models here.  The test suite's flush between
transactional tests keeps these tables instead of emptying and reloading them after every
test (``custodesk.testing.flush``); everything else treats them as ordinary tables.
"""

from __future__ import annotations

from typing import Any

_MODELS: list[Any] = []


def register(*models: Any) -> None:
    """Declare ``models`` reference data (idempotent)."""
    for model in models:
        if model not in _MODELS:
            _MODELS.append(model)


def tables() -> frozenset[str]:
    """The database tables of every registered reference model."""
    return frozenset(m._meta.db_table for m in _MODELS)
