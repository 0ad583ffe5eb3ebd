from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from custodesk.core import clock
from custodesk.core.cli import run
from custodesk.ledger import anchors, services


class Command(BaseCommand):
    help = "Ledger: verify invariants, seal transfers, expire holds and freezes."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser(
            "verify",
            help="Σ debits = Σ credits per currency, counters = transfers, flags, seals, "
            "seals against their anchors outside the database; exit 1 naming each violation",
        )
        sub.add_parser("anchor", help="append the latest seal to the anchor log now")
        seal = sub.add_parser("seal", help="chain new transfers into a hash checkpoint")
        seal.add_argument(
            "--min-age", type=int, default=0, help="leave transfers younger than this (seconds)"
        )
        seal.add_argument(
            "--wait",
            type=float,
            default=30.0,
            help="seconds to wait for transactions still booking transfers (then: deferred)",
        )
        sub.add_parser("expire", help="void timed-out holds and lift expired freezes")

    def handle(self, *args: Any, **opts: Any) -> None:
        action = opts["action"]
        if action == "verify":
            violations = anchors.verify_with_anchors()
            if not violations:
                self.stdout.write(self.style.SUCCESS("ledger invariants hold"))
                return
            for v in violations:
                self.stderr.write(f"VIOLATION {v}")
            sys.exit(1)
        if action == "seal":
            s = run(
                services.seal,
                now=clock.now(),
                min_age_seconds=opts["min_age"],
                wait_seconds=opts["wait"],
            )
            if s is None:
                self.stdout.write("nothing to seal")
            else:
                self.stdout.write(
                    f"sealed transfers {s.from_id + 1}..{s.to_id} ({s.count}) {s.digest}"
                )
            return
        if action == "anchor":
            anchor = anchors.anchor_latest_seal(now=clock.now())
            if anchor is None:
                self.stdout.write("nothing new to anchor")
            else:
                self.stdout.write(f"anchored seal {anchor.fields['seal']}: {anchor}")
            return
        if action == "expire":
            holds = run(
                services.expire_pending, now=clock.now(), business_date=clock.business_date()
            )
            freezes = run(services.release_expired_freezes, now=clock.now())
            self.stdout.write(f"{holds} hold(s) expired, {freezes} freeze(s) lifted")
