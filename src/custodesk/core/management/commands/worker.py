from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from custodesk.core.schedule import Scheduler


class Command(BaseCommand):
    help = (
        "Run the background task worker (django-tasks database backend) and the schedule "
        "of the periodic jobs (each module's schedule= in its module.py)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=1.0)
        parser.add_argument("--batch", action="store_true", help="Stop when the queue is empty")
        parser.add_argument(
            "--no-schedule",
            action="store_true",
            help="Only run enqueued jobs; enqueue no periodic ones",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        scheduler = None
        if not opts["no_schedule"] and not opts["batch"]:
            scheduler = Scheduler()
            scheduler.start()
        extra = ["--batch"] if opts["batch"] else []
        try:
            call_command("db_worker", "--interval", str(opts["interval"]), *extra)
        finally:
            if scheduler is not None:
                scheduler.stop()
                scheduler.join(timeout=10)
