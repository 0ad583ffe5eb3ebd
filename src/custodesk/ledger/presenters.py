"""One presentation of ledger accounts and transfers, shared by the API and the console.

A row is a plain dict: amounts stay integer minor units with their currency, choices
come with their translated labels.  The console's templates format the minor units
(``money`` filter); the API turns the same rows into decimal strings with
:func:`api_amounts` (its schemas keep the fields they declare and ignore the rest).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from functools import cache
from typing import Any

from django.db import models
from django.utils import translation

from custodesk.core.money import minor_units

from .models import LedgerAccount, LedgerTransfer
from .selectors import Balance
from .services import transfer_dict

ACCOUNT_AMOUNTS = (
    "balance",
    "available",
    "debits_posted",
    "credits_posted",
    "debits_pending",
    "credits_pending",
    "frozen_amount",
)
TRANSFER_AMOUNTS = ("amount",)


@cache
def _labels(choices: type[models.Choices], language: str | None) -> dict[str, str]:
    """Value → label of ``choices`` in ``language``, translated once (a model's
    ``get_FOO_display`` translates every choice on each call: 0.2 ms a row)."""
    return {str(value): str(label) for value, label in choices.choices}


def label(choices: type[models.Choices], value: str) -> str:
    return _labels(choices, translation.get_language()).get(value, value)


@cache
def _places(currency: str) -> int:
    return minor_units(currency)


def account_row(a: LedgerAccount, b: Balance) -> dict[str, Any]:
    """An account with its balance now (``b``, from ``selectors.balance(s)``)."""
    return {
        "id": a.public_id,
        "code": a.code,
        "name": a.name,
        "kind": a.kind,
        "kind_label": label(LedgerAccount.Kind, a.kind),
        "currency": a.currency,
        "status": a.status,
        "status_label": label(LedgerAccount.Status, a.status),
        "owner_type": a.owner_type,
        "owner_id": a.owner_id,
        "debits_must_not_exceed_credits": a.debits_must_not_exceed_credits,
        "credits_must_not_exceed_debits": a.credits_must_not_exceed_debits,
        "hot": a.hot,
        "balance": b.balance,
        "available": b.available,
        "debits_posted": b.debits_posted,
        "credits_posted": b.credits_posted,
        "debits_pending": b.debits_pending,
        "credits_pending": b.credits_pending,
        "frozen_amount": b.frozen_amount,
        "debit_frozen": a.debit_blocks > 0,
        "credit_frozen": a.credit_blocks > 0,
        "created_at": a.created_at,
        "closed_at": a.closed_at,
    }


def account_rows(items: Iterable[tuple[LedgerAccount, Balance]]) -> list[dict[str, Any]]:
    """Rows of a page of accounts (``selectors.accounts(...).items``)."""
    return [account_row(a, b) for a, b in items]


def transfer_row(t: LedgerTransfer, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """A transfer as read from the table (with ``debit_account``, ``credit_account`` and
    ``pending`` selected): what the engine answers for a booking (``transfer_dict``), with
    the labels, and ``overdue`` — a hold past its timeout at ``now``."""
    return {
        **transfer_dict(t),
        "flag_label": label(LedgerTransfer.Flag, t.flag),
        "pending_state_label": label(LedgerTransfer.PendingState, t.pending_state)
        if t.pending_state
        else "",
        "overdue": now is not None and t.timeout_at is not None and t.timeout_at <= now,
    }


def api_amounts(row: dict[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """The row with ``fields`` as decimal strings in its currency (None stays None)."""
    out = dict(row)
    places = _places(row["currency"])
    for f in fields:
        value = out.get(f)
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{f}: minor units must be an int")
            out[f] = str(Decimal(value).scaleb(-places))  # exact: Decimal, never float
    return out


def account_api(a: LedgerAccount, b: Balance) -> dict[str, Any]:
    return api_amounts(account_row(a, b), ACCOUNT_AMOUNTS)


def transfer_api(row: dict[str, Any]) -> dict[str, Any]:
    """A transfer row — from :func:`transfer_row`, or a booking's result — for the API."""
    return api_amounts(row, TRANSFER_AMOUNTS)
