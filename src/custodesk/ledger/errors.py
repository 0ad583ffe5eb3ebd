from django.utils.translation import gettext_lazy as _

from custodesk.core.errors import Conflict, DomainError, NotFound


class LedgerRefusal(DomainError):
    """A transfer the ledger refuses (recorded as a refused attempt)."""

    status = 422


class AccountNotFound(NotFound):
    code = "account_not_found"
    title = _("No such ledger account.")


class AccountClosed(LedgerRefusal):
    code = "account_closed"
    title = _("The account is closed.")


class AccountDebitFrozen(LedgerRefusal):
    code = "account_debit_frozen"
    title = _("The account is frozen for debits (money out).")


class AccountCreditFrozen(LedgerRefusal):
    code = "account_credit_frozen"
    title = _("The account is frozen for credits (money in).")


class ExceedsCredits(LedgerRefusal):
    code = "exceeds_credits"
    title = _("Insufficient available balance.")


class ExceedsDebits(LedgerRefusal):
    code = "exceeds_debits"
    title = _("The credit would exceed the account's debits.")


class CurrencyMismatch(LedgerRefusal):
    code = "currency_mismatch"
    title = _("The accounts and the transfer must have the same currency.")


class SameAccount(LedgerRefusal):
    code = "accounts_must_be_different"
    title = _("Debit and credit accounts must differ.")


class InvalidAmount(LedgerRefusal):
    code = "invalid_amount"
    title = _("The amount must be a positive whole number of minor units.")


class PendingNotFound(LedgerRefusal):
    code = "pending_transfer_not_found"
    title = _("No such pending transfer.")


class PendingAlreadyResolved(LedgerRefusal):
    code = "pending_transfer_already_resolved"
    title = _("The pending transfer was already posted, voided or expired.")


class PostExceedsPending(LedgerRefusal):
    code = "post_exceeds_pending"
    title = _("The amount to post exceeds the pending amount.")


class GroupFailed(LedgerRefusal):
    code = "group_failed"
    title = _("Another transfer of the same atomic group was refused; nothing was booked.")


class IdempotencyConflict(Conflict):
    code = "idempotency_conflict"
    title = _("This idempotency key was used for a different transfer.")


class AccountHasBalance(Conflict):
    code = "account_has_balance"
    title = _("An account can only be closed with a zero balance and nothing pending.")


class BatchTooLarge(DomainError):
    code = "batch_too_large"
    title = _("A batch holds at most 8,190 transfers.")
    status = 422


class SealDeferred(Conflict):
    """Transactions that were booking transfers when the seal looked are still open."""

    code = "seal_deferred"
    title = _("Transfers are still being booked; the seal is deferred to its next run.")

    def __init__(self, *, open_transactions: int, waited_seconds: float) -> None:
        super().__init__(
            f"{open_transactions} transaction(s) writing transfers still open after "
            f"{waited_seconds:g} s; nothing sealed",
            open_transactions=open_transactions,
        )
