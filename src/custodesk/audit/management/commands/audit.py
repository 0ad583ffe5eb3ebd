from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from custodesk.audit import services
from custodesk.core import clock


class Command(BaseCommand):
    help = (
        "Operation records: `audit verify` recomputes the hash chain and checks it against "
        "the anchors outside the database; `audit anchor` writes the chain head there now."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser(
            "verify",
            help="exit 0 if the chain is intact and agrees with every anchor, "
            "1 naming the first bad row or the anchor it contradicts",
        )
        sub.add_parser(
            "anchor",
            help="append the chain head to the anchor log now (the worker does it "
            "every CUSTODESK_ANCHOR_SECONDS)",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["action"] == "anchor":
            anchor = services.anchor_head(now=clock.now())
            if anchor is None:
                self.stdout.write("nothing new to anchor")
            else:
                self.stdout.write(f"anchored seq {anchor.fields['seq']}: {anchor}")
            return
        problems = services.verify()
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
