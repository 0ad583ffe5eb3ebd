from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from custodesk.core import clock
from custodesk.core.cli import run
from custodesk.identity import services
from custodesk.identity.models import User


class Command(BaseCommand):
    help = "Migrate the database and create the staff organisation and its first administrator."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="admin")
        parser.add_argument("--full-name", default="Administrator")
        parser.add_argument("--password", help="Omit to generate a temporary one")
        parser.add_argument("--organisation-code", default=settings.CUSTODESK_STAFF_ORGANISATION)
        parser.add_argument("--organisation-name", default="Custodesk back office")
        parser.add_argument("--skip-migrate", action="store_true")

    def handle(self, *args: Any, **opts: Any) -> None:
        if not opts["skip_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
            self.stdout.write("Database migrated.")
        if User.objects.filter(username__iexact=opts["username"]).exists():
            self.stdout.write(f"User {opts['username']} already exists; nothing to create.")
            return
        user, temp = run(
            services.bootstrap_admin,
            organisation_code=opts["organisation_code"],
            organisation_name=opts["organisation_name"],
            username=opts["username"],
            full_name=opts["full_name"],
            password=opts["password"],
            now=clock.now(),
        )
        self.stdout.write(self.style.SUCCESS(f"Administrator {user.username} created."))
        if not opts["password"]:
            self.stdout.write(f"Temporary password (change it at first sign-in): {temp}")
