"""Background jobs of the work-order centre (django-tasks, database backend): each takes
ids (or nothing) and calls one service; the services are safe to run twice."""

from __future__ import annotations

from django_tasks import task

from custodesk.core import clock

from . import services
from .imports import services as imports


@task()
def execute_approved_orders() -> int:
    """Execute approved orders whose execution never started (the process stopped between
    the approval's commit and the execution); returns how many it ran."""
    return services.execute_due(now=clock.now())


@task()
def validate_import(batch_id: str) -> dict[str, object]:
    """Check every row of an uploaded import file (WO-IMPORT)."""
    b = imports.import_validate(batch_id=batch_id, now=clock.now())
    return {"status": b.status, "rows": b.rows_total, "invalid": b.invalid_count}


@task()
def create_import_orders(batch_id: str) -> dict[str, object]:
    """Create and submit the orders of a confirmed import (WO-IMPORT)."""
    b = imports.import_create(batch_id=batch_id, now=clock.now())
    return {"status": b.status, "created": b.created_count, "failed": b.failed_count}
