"""Refusals of deposits and withdrawals, named as facts (problem codes are stable)."""

from django.utils.translation import gettext_lazy as _

from custodesk.core.errors import Conflict, IllegalTransition


class InsufficientFunds(Conflict):
    """A withdrawal above the sub-account's available balance: nothing is held."""

    code = "insufficient_funds"
    title = _("The available balance is not enough for this withdrawal.")


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    title = _("This idempotency key was used for another request.")


class MarketNotOpen(Conflict):
    code = "market_not_open"
    title = _("The market is suspended: deposits and withdrawals are not accepted.")


class MovementNotPending(IllegalTransition):
    code = "movement_not_pending"
    title = _("This deposit or withdrawal is no longer waiting for review.")


class OutcomeNotUnknown(IllegalTransition):
    code = "movement_outcome_known"
    title = _("The bank's outcome of this transfer is known: there is nothing to resolve.")
