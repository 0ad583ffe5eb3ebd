from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run the background task worker (django-tasks database backend)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=1.0)
        parser.add_argument("--batch", action="store_true", help="Stop when the queue is empty")

    def handle(self, *args: Any, **opts: Any) -> None:
        extra = ["--batch"] if opts["batch"] else []
        call_command("db_worker", "--interval", str(opts["interval"]), *extra)
