"""The members module's periodic job (django-tasks): sweep the registration wizard's
unconfirmed archives.  Scheduled hourly by ``members/module.py``."""

from __future__ import annotations

from django_tasks import task

from custodesk.core import clock

from . import uploads


@task()
def sweep_pending_archives() -> int:
    """Delete the archives of registrations abandoned for a day; how many."""
    return uploads.sweep_pending(now=clock.now())
