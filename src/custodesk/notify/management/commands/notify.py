from __future__ import annotations

import secrets
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from custodesk.core import clock
from custodesk.core.cli import run
from custodesk.notify import services


class Command(BaseCommand):
    help = (
        "The outbox: `notify deliver` sends what is due now (the worker does it every 5 s); "
        "`notify endpoint CODE URL` adds or changes a webhook endpoint (a new one gets a "
        "signing secret, printed once); `notify test --channel … --to …` queues a test "
        "message."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("deliver", help="deliver the due messages now")
        ep = sub.add_parser("endpoint", help="add or change a webhook endpoint")
        ep.add_argument("code")
        ep.add_argument("url")
        ep.add_argument("--rotate-secret", action="store_true", help="a new signing secret")
        ep.add_argument("--inactive", action="store_true", help="take no more messages")
        test = sub.add_parser("test", help="queue a test message")
        test.add_argument("--channel", required=True, choices=["sms", "email", "webhook"])
        test.add_argument("--to", required=True, help="address, phone number or endpoint code")
        test.add_argument("--language", default="")
        test.add_argument("--note", default="")

    def handle(self, *args: Any, **opts: Any) -> None:
        action = opts["action"]
        if action == "deliver":
            counts = run(services.deliver_due, clock=clock.get_clock())
            self.stdout.write(
                ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "none due"
            )
        elif action == "endpoint":
            from custodesk.notify.models import WebhookEndpoint

            new = not WebhookEndpoint.objects.filter(code=opts["code"]).exists()
            secret = secrets.token_urlsafe(32) if new or opts["rotate_secret"] else None
            endpoint = run(services.endpoint_save, actor=None, code=opts["code"], url=opts["url"],
                           secret=secret, active=not opts["inactive"], now=clock.now())  # fmt: skip
            self.stdout.write(f"endpoint {endpoint.code} → {endpoint.url}")
            if secret is not None:
                self.stdout.write(f"signing secret (shown once, give it to the receiver): {secret}")
        else:
            msg = run(services.message_send_test, actor=None, channel=opts["channel"],
                      recipient=opts["to"], language=opts["language"], note=opts["note"],
                      now=clock.now())  # fmt: skip
            self.stdout.write(f"queued {msg.channel} message {msg.public_id} to {msg.recipient}")
