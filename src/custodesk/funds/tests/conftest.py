# ruff: noqa: F811 - the contracts tests' fixtures are imported to be used by name
"""Builders for the funds tests: the contracts tests' market, enterprise member with its
operator and reviewer, an individual member (all through the services), and a contract
in force for each, signed through the contracts module's approvable action."""

from __future__ import annotations

from typing import Any

import pytest

from custodesk.approvals import services as approvals
from custodesk.contracts import services as contracts
from custodesk.contracts.models import Contract
from custodesk.contracts.tests.conftest import (  # noqa: F401 - fixtures
    GOOD_CARD,
    Member,
    add_user,
    checker,
    enterprise,
    individual,
    make_market,
    market,
    open_member,
    operator,
    other_market,
    reviewer,
)
from custodesk.funds import services
from custodesk.testing.fixtures import PASSWORD
from custodesk.testing.governance import delivered_code


def sign(
    actor: Any,
    market: Any,
    member: Member,
    clock: Any,
    *,
    code: str = "M0001",
    approver: Any = None,
    **kw: Any,
) -> Contract:
    sub = contracts.sign_submit(
        actor=actor,
        market_id=market.public_id,
        member_code=code,
        card_id=member.card.public_id,
        currency=None,
        agreement_version=market.agreement_version,
        agreement_accepted=True,
        now=clock.now(),
        **kw,
    )
    if not sub.executed:
        approvals.approve(actor=approver, request_id=sub.request.public_id, now=clock.now())
    return Contract.objects.get(member=member.profile, market=market, status="active")


@pytest.fixture
def contract(market: Any, enterprise: Member, operator: Any, reviewer: Any, clock: Any) -> Contract:
    return sign(operator, market, enterprise, clock, approver=reviewer)


def sms(actor: Any, direction: str, clock: Any) -> dict[str, Any]:
    """An individual's SMS code for a deposit or withdrawal, read back from the embedded
    gateway (the outbox delivered)."""
    ch = services.sms_code_send(actor=actor, direction=direction, now=clock.now())
    return {"challenge_id": ch.public_id, "sms_code": delivered_code(ch.phone, clock=clock)}


def deposit(actor: Any, contract: Contract, amount: str, clock: Any, key: str, **kw: Any) -> Any:
    return services.deposit_submit(
        actor=actor,
        contract_id=contract.public_id,
        amount=amount,
        idempotency_key=key,
        now=clock.now(),
        business_date=clock.business_date(),
        **kw,
    )


def withdraw(actor: Any, contract: Contract, amount: str, clock: Any, key: str, **kw: Any) -> Any:
    return services.withdrawal_submit(
        actor=actor,
        contract_id=contract.public_id,
        amount=amount,
        idempotency_key=key,
        now=clock.now(),
        business_date=clock.business_date(),
        **kw,
    )


__all__ = ["GOOD_CARD", "PASSWORD", "add_user", "make_market", "open_member"]


class Receiver:
    """A market's webhook receiver: a real HTTP server on the loopback that checks the
    HMAC signature, answers 503 while ``down``, and processes each delivery id once
    (``processed``; ``hits`` counts every request, duplicates included)."""

    def __init__(self, secret: str) -> None:
        import http.server
        import threading

        self.secret = secret
        self.down = False
        self.hits = 0
        self.bad_signatures = 0
        self.processed: dict[str, dict[str, Any]] = {}
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                import json

                from custodesk.notify.senders import signature

                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.hits += 1
                if receiver.down:
                    self.send_response(503)
                    self.end_headers()
                    return
                sig = self.headers["X-Custodesk-Signature"]
                stamp = int(sig.split(",")[0][2:])
                if sig != signature(receiver.secret, stamp, body):
                    receiver.bad_signatures += 1
                    self.send_response(401)
                    self.end_headers()
                    return
                delivery = self.headers["X-Custodesk-Delivery"]
                receiver.processed.setdefault(delivery, json.loads(body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/custody/callback"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


SECRET = "market-webhook-secret-0123456789abcdef"


@pytest.fixture
def receiver() -> Any:
    r = Receiver(SECRET)
    yield r
    r.close()


@pytest.fixture
def webhook(admin: Any, market: Any, receiver: Receiver, clock: Any) -> Receiver:
    """The market's webhook endpoint set by staff, pointing at the receiver."""
    services.market_webhook_save(
        actor=admin, market_id=market.public_id, url=receiver.url, secret=SECRET, now=clock.now()
    )
    return receiver
