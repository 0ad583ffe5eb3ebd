"""The directory is reference data, like Django's content types: a ``flush`` (which
the test suite's transactional tests run after each test, and an operator may run)
empties every table and then emits ``post_migrate`` — the directory is reloaded
then, so it is always there.  Imported at start (``imports`` in ``module.py``)."""

from __future__ import annotations

from typing import Any

from django.apps import apps as global_apps
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models.signals import post_migrate

from custodesk.core import reference

from . import directory


def reload_if_empty(*, using: str = DEFAULT_DB_ALIAS, apps: Any = None, **_: Any) -> None:
    registry = apps or global_apps
    try:
        bank = registry.get_model("banks", "Bank")
    except LookupError:  # the banks app is not migrated in this state
        return
    if bank._meta.db_table not in connections[using].introspection.table_names():
        return
    if bank.objects.using(using).exists():
        return
    directory.load(
        bank,
        registry.get_model("banks", "Branch"),
        registry.get_model("banks", "BranchGram"),
        directory.read(),
    )


reference.register(
    global_apps.get_model("banks", "Bank"),
    global_apps.get_model("banks", "Branch"),
    global_apps.get_model("banks", "BranchGram"),
)
post_migrate.connect(
    reload_if_empty, sender=global_apps.get_app_config("banks"), dispatch_uid="banks.reference"
)
