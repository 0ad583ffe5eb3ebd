from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from custodesk.core import demo


class Command(BaseCommand):
    help = "Seed demo data (users per role, some history) into a new database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-new", action="store_true", help="do nothing when users already exist"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        created = demo.seed(if_new=opts["if_new"])
        if created:
            self.stdout.write(self.style.SUCCESS("Demo data created."))
        else:
            self.stdout.write("Database already has users; demo data not seeded again.")
        self.stdout.write(demo.notes())
