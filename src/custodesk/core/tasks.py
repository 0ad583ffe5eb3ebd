"""Kernel jobs (django-tasks)."""

from __future__ import annotations

from django.core.management import call_command
from django_tasks import task

RESULTS_KEPT_DAYS = 14


@task()
def prune_task_results() -> None:
    """Delete finished job results older than two weeks (the schedule enqueues a few
    hundred a day)."""
    call_command("prune_db_task_results", "--min-age-days", str(RESULTS_KEPT_DAYS), verbosity=0)
