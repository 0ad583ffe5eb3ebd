from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from custodesk.audit.services import verify_chain


class Command(BaseCommand):
    help = "Operation records: `audit verify` recomputes the hash chain."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="exit 0 if the chain is intact, 1 naming the first bad row")

    def handle(self, *args: Any, **opts: Any) -> None:
        problems = list(verify_chain())
        if not problems:
            self.stdout.write(self.style.SUCCESS("audit chain intact"))
            return
        first = problems[0]
        self.stderr.write(f"audit chain BROKEN at {first}")
        for p in problems[1:20]:
            self.stderr.write(f"  also: {p}")
        if len(problems) > 20:
            self.stderr.write(f"  ... {len(problems) - 20} more")
        sys.exit(1)
