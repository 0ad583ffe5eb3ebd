"""Periodic jobs: what runs by itself, and how often.

django-tasks runs jobs that are enqueued; it has no schedule of its own, and no
scheduler for it was available to us (architecture.md).  This is the small one we
need: each module declares its periodic jobs in its ``module.py`` (``schedule=``, a
task's import path -> its interval in seconds, collected by :func:`modules.schedule`);
:func:`tick` enqueues every job that is due; :class:`Scheduler` is the thread in
``custodesk worker`` that calls it every few seconds.  Several workers may run: a run
is claimed with one conditional UPDATE of :class:`~custodesk.core.models.ScheduledJob`
(inside the transaction that enqueues it), so each run is enqueued once.  The jobs
themselves are safe to run twice anyway (conditional updates, locks).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

from django.db import close_old_connections, connection, transaction
from django.utils.module_loading import import_string

from . import clock, modules
from .models import ScheduledJob

logger = logging.getLogger("custodesk.schedule")


def tick(*, now: dt.datetime) -> list[str]:
    """Enqueue each periodic job due at ``now``; the import paths enqueued by this call."""
    enqueued: list[str] = []
    next_runs = dict(ScheduledJob.objects.values_list("task", "next_run_at"))
    for path, every in modules.schedule().items():
        if path not in next_runs:
            ScheduledJob.objects.get_or_create(task=path, defaults={"next_run_at": now})
        elif next_runs[path] > now:
            continue  # not due: no write (SQLite has one writer at a time)
        with transaction.atomic():
            claimed = ScheduledJob.objects.filter(task=path, next_run_at__lte=now).update(
                next_run_at=now + dt.timedelta(seconds=every), last_enqueued_at=now
            )
            if not claimed:
                continue  # not due, or another worker has just claimed this run
            result = import_string(path).enqueue()
            ScheduledJob.objects.filter(task=path).update(last_result_id=str(result.id))
        enqueued.append(path)
    return enqueued


class Scheduler(threading.Thread):
    """Calls :func:`tick` at once and then every ``poll`` seconds until stopped."""

    def __init__(self, poll: float = 5.0) -> None:
        super().__init__(name="custodesk-scheduler", daemon=True)
        self.poll = poll
        self._stop_event = threading.Event()

    def run(self) -> None:
        try:
            while True:
                close_old_connections()  # as around a request: a dropped one is reopened
                try:
                    for path in tick(now=clock.now()):
                        logger.info("enqueued %s", path)
                except Exception:  # a bad minute (database restarting ...) is retried
                    logger.exception("scheduler tick failed")
                if self._stop_event.wait(self.poll):
                    return
        finally:
            connection.close()

    def stop(self) -> None:
        self._stop_event.set()
