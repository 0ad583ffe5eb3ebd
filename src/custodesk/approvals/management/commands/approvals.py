from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from custodesk.approvals import services
from custodesk.core import clock
from custodesk.core.cli import run


class Command(BaseCommand):
    help = "Approval engine: `approvals expire` marks overdue pending requests as expired."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("expire", help="expire pending requests past their expiry (cron-safe)")

    def handle(self, *args: Any, **opts: Any) -> None:
        count = run(services.expire_due, now=clock.now())
        self.stdout.write(f"{count} request(s) expired")
