"""Extension points of account opening, for the modules built on top of brokerage.

A module that must act when an account is opened (BCAN allocation, default trading
permissions, a welcome message …) registers a function, usually at import of a module
its ``module.py`` lists in ``imports``::

    from custodesk.brokerage import hooks

    @hooks.on_account_opened
    def allocate_bcan(event: hooks.AccountOpened) -> None:
        ...

The functions run in registration order **inside the opening's transaction** (the
approval's execution), after the account row and its ledger cash accounts are written:
what they write commits with the account, and a :class:`DomainError` they raise refuses
the opening as a whole (the approval engine reports it as a failed precondition).  They
must not open durable transactions of their own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID


@dataclass(frozen=True)
class AccountOpened:
    account_id: int  # brokerage Account primary key
    account_public_id: UUID
    number: str
    client_id: int
    account_type: str
    base_currency: str
    currencies: tuple[str, ...]
    actor: Any  # the identity User who approved (or submitted an auto-approved) opening
    now: dt.datetime
    # a bulk load of an existing book (migration, demo): the account is not new to the
    # client, so hooks that only tell the client something skip it
    bulk: bool = False


AccountOpenedHook = Callable[[AccountOpened], None]

_account_opened: list[AccountOpenedHook] = []


def on_account_opened(fn: AccountOpenedHook) -> AccountOpenedHook:
    """Register ``fn`` (once; registering again is a no-op) and return it (a decorator)."""
    if fn not in _account_opened:
        _account_opened.append(fn)
    return fn


def remove(fn: AccountOpenedHook) -> None:
    if fn in _account_opened:
        _account_opened.remove(fn)


@contextmanager
def registered(fn: AccountOpenedHook) -> Iterator[AccountOpenedHook]:
    """Register ``fn`` for the duration of a ``with`` block (tests, one-off tools)."""
    on_account_opened(fn)
    try:
        yield fn
    finally:
        remove(fn)


def account_opened_hooks() -> tuple[AccountOpenedHook, ...]:
    return tuple(_account_opened)


def run_account_opened(event: AccountOpened) -> None:
    """Called by ``services.accounts`` only."""
    for fn in tuple(_account_opened):
        fn(event)
