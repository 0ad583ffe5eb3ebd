"""The funds module's periodic job (django-tasks): ask the payment rail about transfers
whose outcome is unknown.  Scheduled every minute by ``funds/module.py``."""

from __future__ import annotations

from django_tasks import task

from custodesk.core import clock

from . import dispatch


@task()
def reconcile_rail() -> dict[str, int]:
    """Resolve unknown rail outcomes by status query; send approved movements left
    unsent; counts per outcome."""
    return dispatch.reconcile(now=clock.now())
