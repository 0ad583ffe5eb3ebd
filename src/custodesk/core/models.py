"""Kernel tables: the schedule of the periodic jobs."""

from __future__ import annotations

from django.db import models


class ScheduledJob(models.Model):
    """When one periodic job (a module's ``schedule``, core.modules) is next due.

    A worker claims a run with one conditional UPDATE on ``next_run_at``, so any number
    of workers enqueue each run once (:mod:`custodesk.core.schedule`).
    """

    task = models.CharField(max_length=200, unique=True)
    next_run_at = models.DateTimeField()
    last_enqueued_at = models.DateTimeField(null=True, blank=True)
    last_result_id = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        db_table = "core_scheduled_job"
        ordering = ["task"]

    def __str__(self) -> str:
        return self.task
