"""Background jobs of the approval engine (django-tasks, database backend)."""

from __future__ import annotations

from django_tasks import task

from custodesk.core import clock

from . import services


@task()
def expire_requests() -> int:
    """Mark pending requests past their expiry as expired; returns how many."""
    return services.expire_due(now=clock.now())
