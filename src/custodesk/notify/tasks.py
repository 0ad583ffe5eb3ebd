"""Outbox jobs (django-tasks): deliver what is due.  Scheduled every 5 s by the
``schedule`` of ``notify/module.py``."""

from __future__ import annotations

from django_tasks import task

from custodesk.core import clock

from . import services


@task()
def deliver_messages() -> dict[str, int]:
    """Deliver the due outbox messages; counts by outcome (never any content)."""
    return services.deliver_due(clock=clock.get_clock())
