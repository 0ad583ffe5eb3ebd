"""The payment rail: how money moves between a member's bound card (at its own bank)
and the market's summary custody account, as an interbank transfer does.

:class:`PaymentRail` is the adapter interface.  ``settings.CUSTODESK_PAYMENT_RAIL``
names the class (``module.Class``); :func:`get_rail` builds it.  A rail answers

* :meth:`PaymentRail.submit` — send a transfer (idempotent by ``reference``: the same
  reference sent again is the same transfer, never a second one);
* :meth:`PaymentRail.status` — what became of a transfer sent earlier;
* :meth:`PaymentRail.reversal` — undo a transfer that succeeded (冲正).

Each answers a :class:`RailResult`: ``succeeded`` (with the bank's reference),
``failed`` with a reason code and text, or ``unknown``.  A rail may also raise
:class:`RailUnavailable` (a time-out, a broken connection): the outcome is then
unknown too, and the funds module asks :meth:`status` later (its reconciliation job)
— it never sends the transfer twice under another reference, and credits nothing
before the rail said ``succeeded``.

:class:`EmbeddedRail`, the default, is a deterministic stand-in for a bank's
interface, configured by settings (docs/custody.md, "Payment rail"):

* ``CUSTODESK_RAIL_LATENCY_MS`` — time each call takes (default 0);
* ``CUSTODESK_RAIL_FAIL_ABOVE`` — amounts above this (in major units, e.g.
  ``"50000.00"``) fail with ``amount_over_bank_limit`` (blank: none);
* ``CUSTODESK_RAIL_FAIL_CARDS`` — card-number endings that fail with
  ``card_account_frozen`` (comma separated; default ``0000``);
* ``CUSTODESK_RAIL_UNKNOWN_CARDS`` — card-number endings whose transfer times out
  (:class:`RailUnavailable` on submit) and succeeds, as a status query then reports,
  ``CUSTODESK_RAIL_UNKNOWN_SECONDS`` after it was sent (default ``9999`` and 60 s).
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from custodesk.core.money import Money


class Outcome(enum.StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class RailTransfer:
    """One transfer as the rail sees it.  ``direction``: ``deposit`` (card → summary
    account) or ``withdrawal`` (summary account → card)."""

    reference: str  # ours: the movement's public id, the same on every retry
    direction: str
    amount: Money
    card_number: str
    card_bank_code: str
    card_holder: str
    summary_account_no: str
    summary_account_name: str
    sent_at: dt.datetime  # when it was first sent (a status query carries it too)


@dataclass(frozen=True)
class RailResult:
    outcome: Outcome
    rail_reference: str = ""
    reason_code: str = ""
    reason: str = ""

    @classmethod
    def unknown(cls, reason: str = "") -> RailResult:
        return cls(Outcome.UNKNOWN, reason_code="rail_unavailable", reason=reason)


class RailUnavailable(Exception):
    """The rail did not answer (time-out, connection): the outcome is unknown."""


class PaymentRail(Protocol):
    def submit(self, transfer: RailTransfer) -> RailResult: ...

    def status(self, transfer: RailTransfer) -> RailResult: ...

    def reversal(self, transfer: RailTransfer, *, reason: str) -> RailResult: ...


def get_rail() -> PaymentRail:
    cls: Any = import_string(settings.CUSTODESK_PAYMENT_RAIL)
    rail: PaymentRail = cls()
    return rail


def _endings(value: str) -> tuple[str, ...]:
    return tuple(e.strip() for e in (value or "").split(",") if e.strip())


class EmbeddedRail:
    """The deterministic default: the same transfer always gets the same answer (see
    the module's docstring for the settings)."""

    def __init__(self) -> None:
        self.latency = max(0, int(settings.CUSTODESK_RAIL_LATENCY_MS)) / 1000
        above = (settings.CUSTODESK_RAIL_FAIL_ABOVE or "").strip()
        self.fail_above = Decimal(above) if above else None
        self.fail_cards = _endings(settings.CUSTODESK_RAIL_FAIL_CARDS or "")
        self.unknown_cards = _endings(settings.CUSTODESK_RAIL_UNKNOWN_CARDS or "")
        self.unknown_seconds = int(settings.CUSTODESK_RAIL_UNKNOWN_SECONDS)

    def _wait(self) -> None:
        if self.latency:
            time.sleep(self.latency)

    @staticmethod
    def _reference(transfer: RailTransfer) -> str:
        digest = hashlib.sha256(transfer.reference.encode()).hexdigest()[:16].upper()
        return f"ER{transfer.sent_at:%Y%m%d}{digest}"

    def _decide(self, transfer: RailTransfer) -> RailResult:
        if self.fail_above is not None and transfer.amount.to_decimal() > self.fail_above:
            return RailResult(
                Outcome.FAILED,
                self._reference(transfer),
                "amount_over_bank_limit",
                "The amount is over the bank's limit for one transfer.",
            )
        if transfer.card_number.endswith(self.fail_cards) and self.fail_cards:
            return RailResult(
                Outcome.FAILED,
                self._reference(transfer),
                "card_account_frozen",
                "The bound card's account is frozen at its bank.",
            )
        return RailResult(Outcome.SUCCEEDED, self._reference(transfer))

    def _times_out(self, transfer: RailTransfer) -> bool:
        return bool(self.unknown_cards) and transfer.card_number.endswith(self.unknown_cards)

    def submit(self, transfer: RailTransfer) -> RailResult:
        self._wait()
        if self._times_out(transfer):
            raise RailUnavailable("the bank did not answer in time")
        return self._decide(transfer)

    def status(self, transfer: RailTransfer) -> RailResult:
        self._wait()
        if self._times_out(transfer):
            from custodesk.core import clock

            if clock.now() < transfer.sent_at + dt.timedelta(seconds=self.unknown_seconds):
                return RailResult.unknown("the bank is still processing the transfer")
        return self._decide(transfer)

    def reversal(self, transfer: RailTransfer, *, reason: str) -> RailResult:
        self._wait()
        return RailResult(Outcome.SUCCEEDED, "RV" + self._reference(transfer)[2:])
