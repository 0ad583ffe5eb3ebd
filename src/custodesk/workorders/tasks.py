"""Background job of the work-order centre (django-tasks, database backend)."""

from __future__ import annotations

from django_tasks import task

from custodesk.core import clock

from . import services


@task()
def execute_approved_orders() -> int:
    """Execute approved orders whose execution never started (the process stopped between
    the approval's commit and the execution); returns how many it ran."""
    return services.execute_due(now=clock.now())
