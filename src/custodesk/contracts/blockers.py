"""What forbids cancelling a contract (CT-CANCEL / M-CANCEL): a small registry.

Each blocker is ``check(contract, *, actor, now, business_date) -> None`` and raises
its own :class:`~custodesk.contracts.errors.ContractBlocked` (a distinct problem
code).  They run in order when a cancel is submitted and again when it is approved
(the approval engine re-checks), so a condition that appears in between still stops
it.  Modules that know more (funds, trades) register theirs::

    from custodesk.contracts import services
    services.register_cancel_blocker("funds.pending_withdrawal", check, order=25)

The built-in ones: the market's report of unsettled trades (10) and open disputes
(30), a balance or pending holds on the sub-account (20), and a ledger transfer on
the sub-account on today's business date (40).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from custodesk.ledger import facade as ledger

from .errors import (
    ContractHasBalance,
    ContractHasOpenTrades,
    ContractInDispute,
    ContractMovedFundsToday,
)

if TYPE_CHECKING:
    from .models import Contract

Check = Callable[..., None]


@dataclass(frozen=True)
class Blocker:
    code: str
    check: Check
    order: int = 100


_blockers: dict[str, Blocker] = {}


def register(code: str, check: Check, *, order: int = 100) -> Blocker:
    if code in _blockers and _blockers[code].check is not check:
        raise ValueError(f"cancel blocker {code!r} registered twice")
    blocker = _blockers[code] = Blocker(code, check, order)
    return blocker


def all_blockers() -> list[Blocker]:
    return sorted(_blockers.values(), key=lambda b: (b.order, b.code))


def run(contract: Contract, *, actor: Any, now: dt.datetime, business_date: dt.date) -> None:
    """Raise the first blocker's refusal; return when nothing forbids the cancel."""
    for blocker in all_blockers():
        blocker.check(contract, actor=actor, now=now, business_date=business_date)


# -- the built-in blockers ------------------------------------------------------------
def _market_state(contract: Contract) -> Any:
    from .models import ContractMarketState

    return ContractMarketState.objects.filter(contract=contract).first()


def open_trades(contract: Contract, **_: Any) -> None:
    state = _market_state(contract)
    if state is not None and state.open_trades > 0:
        raise ContractHasOpenTrades(open_trades=state.open_trades)


def open_disputes(contract: Contract, **_: Any) -> None:
    state = _market_state(contract)
    if state is not None and state.open_disputes > 0:
        raise ContractInDispute(open_disputes=state.open_disputes)


def balance(contract: Contract, *, actor: Any, **_: Any) -> None:
    if contract.sub_ledger_account_id is None:
        return
    b = ledger.balances(actor=actor, account_id=contract.sub_ledger_account_id)
    if b.posted.minor or b.pending_debits.minor or b.pending_credits.minor or b.frozen.minor:
        raise ContractHasBalance(
            balance=str(b.posted.to_decimal()),
            pending_debits=str(b.pending_debits.to_decimal()),
            pending_credits=str(b.pending_credits.to_decimal()),
            currency=b.posted.currency,
        )


def moved_funds_today(contract: Contract, *, actor: Any, business_date: dt.date, **_: Any) -> None:
    if contract.sub_ledger_account_id is None:
        return
    st = ledger.statement(
        actor=actor,
        account_id=contract.sub_ledger_account_id,
        date_from=business_date,
        date_to=business_date,
    )
    if st.lines:
        raise ContractMovedFundsToday(business_date=business_date.isoformat())


register("market.open_trades", open_trades, order=10)
register("ledger.balance", balance, order=20)
register("market.open_disputes", open_disputes, order=30)
register("ledger.moved_funds_today", moved_funds_today, order=40)
