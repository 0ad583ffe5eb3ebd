"""The ledger's demo step (``custodesk demo``): a living ledger."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from custodesk.core.modules import DemoRun

from . import services as ledger
from .models import LedgerAccount
from .services import TransferSpec


def seed(run: DemoRun) -> None:
    _seed_ledger(actor=run.actors["admin"], now=run.now, business_date=run.business_date)


def _seed_ledger(*, actor: Any, now: Any, business_date: Any) -> None:
    """A living ledger: a market's summary and suspense accounts, members' sub-accounts,
    deposits, trades between members, holds posted, voided and still open, refused
    attempts, and freezes (a court order in force, an amount freeze that expires, one
    released)."""
    rnd = random.Random(2026)
    accounts: dict[str, list[Any]] = {}
    for currency in ("HKD", "CNY", "USD"):
        summary = ledger.account_open(
            actor=None,
            code=f"MKT01-SUM-{currency}",
            name=f"Market 01 summary ({currency})",
            kind="market_summary",
            currency=currency,
            hot=True,
            now=now,
        )
        ledger.account_open(
            actor=None,
            code=f"MKT01-SUS-{currency}",
            name=f"Market 01 suspense ({currency})",
            kind="market_suspense",
            currency=currency,
            debits_must_not_exceed_credits=True,
            now=now,
        )
        members = [
            ledger.account_open(
                actor=None,
                code=f"MKT01-M{n:03d}-{currency}",
                name=f"Member {n:03d}",
                kind="member_sub",
                currency=currency,
                debits_must_not_exceed_credits=True,
                owner_type="member",
                owner_id=f"M{n:03d}",
                now=now,
            )
            for n in range(1, 13)
        ]
        accounts[currency] = [summary, *members]
    day = business_date - dt.timedelta(days=5)
    for step in range(6):
        at = now - dt.timedelta(days=5 - step)
        for currency, (summary, *members) in accounts.items():
            specs = [
                TransferSpec(
                    summary.pk,
                    m.pk,
                    rnd.randrange(50_000, 5_000_000),
                    currency,
                    kind="deposit",
                    metadata={"channel": "bank"},
                )
                for m in rnd.sample(members, 6)
            ]
            specs += [
                TransferSpec(
                    a.pk,
                    b.pk,
                    rnd.randrange(1_000, 800_000),
                    currency,
                    kind="trade",
                    metadata={"trade_ref": f"T{step}{i:03d}"},
                )
                for i, (a, b) in enumerate(rnd.sample(members, 2) for _ in range(6))
            ]
            specs += [  # a withdrawal too large for the member: refused and recorded
                TransferSpec(members[0].pk, summary.pk, 10**11, currency, kind="withdrawal")
            ]
            outs = ledger.book(specs, now=at, business_date=day + dt.timedelta(days=step))
            holds = [
                ledger.book_one(
                    TransferSpec(
                        m.pk,
                        summary.pk,
                        rnd.randrange(1_000, 20_000),
                        currency,
                        flag="pending",
                        kind="withdrawal",
                        timeout_seconds=86_400 * 3,
                    ),
                    now=at,
                    business_date=day + dt.timedelta(days=step),
                )
                for m in rnd.sample(members, 3)
            ]
            ok_holds = [h for h in holds if h.ok and h.transfer]
            for n, h in enumerate(ok_holds[:-1]):
                assert h.transfer is not None
                ledger.book_one(
                    TransferSpec(
                        flag="post_pending" if n % 2 == 0 else "void_pending",
                        pending_id=h.transfer["internal_id"],
                        kind="withdrawal",
                    ),
                    now=at + dt.timedelta(minutes=5),
                    business_date=day + dt.timedelta(days=step),
                )
            assert any(o.ok for o in outs)

    def available(a: Any) -> int:
        dp, cp, dpe, _cpe = ledger.counters(LedgerAccount.objects.get(pk=a.pk))
        return cp - dp - dpe

    richest, second, *_rest, poorest = sorted(accounts["HKD"][1:], key=available, reverse=True)
    ledger.freeze_place(
        actor=actor, account_id=poorest.pk, kind="full", reason_code="COURT-ORDER",
        legal_reference="HCMP 2417/2026", now=now,
    )  # fmt: skip
    ledger.freeze_place(
        actor=actor, account_id=richest.pk, kind="amount", amount=available(richest) // 2,
        reason_code="MARGIN-CALL", expires_at=now + dt.timedelta(days=2), now=now,
    )  # fmt: skip
    kyc = ledger.freeze_place(
        actor=actor, account_id=second.pk, kind="credit", reason_code="KYC-REVIEW",
        now=now - dt.timedelta(days=3),
    )  # fmt: skip
    ledger.freeze_release(
        actor=actor, freeze_id=kyc.public_id, reason="KYC documents received", now=now
    )
