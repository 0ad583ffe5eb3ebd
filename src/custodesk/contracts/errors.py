"""Refusals of the contracts module, named as facts (problem codes are stable)."""

from django.utils.translation import gettext_lazy as _

from custodesk.core.errors import Conflict, DomainError


class ContractBlocked(Conflict):
    """A condition that forbids cancelling a contract (see ``blockers``)."""

    code = "contract_blocked"


class ContractHasOpenTrades(ContractBlocked):
    code = "contract_has_open_trades"
    title = _("The member has trades in this market that are not settled yet.")


class ContractHasBalance(ContractBlocked):
    code = "contract_has_balance"
    title = _("The custody sub-account has a balance or pending holds.")


class ContractInDispute(ContractBlocked):
    code = "contract_in_dispute"
    title = _("The market reports an open dispute about this member.")


class ContractMovedFundsToday(ContractBlocked):
    code = "contract_moved_funds_today"
    title = _("Funds moved on this sub-account today: try again on the next business day.")


class ContractNotActive(Conflict):
    code = "contract_not_active"
    title = _("This contract is not in force.")


class CardMovedFundsToday(Conflict):
    code = "card_moved_funds_today"
    title = _(
        "The bound card cannot be changed on a day with a deposit or withdrawal: "
        "try again on the next business day."
    )


class MemberHasContracts(Conflict):
    code = "member_has_contracts"
    title = _("Cancel every contract before closing the registration.")


class MemberHasBalance(Conflict):
    code = "member_has_balance"
    title = _("Every custody sub-account must be at zero before closing the registration.")


class MemberClosed(Conflict):
    code = "member_closed"
    title = _("This member's registration is closed.")


class NotAMember(DomainError):
    code = "not_a_member"
    title = _("Only users of a member organisation can do this.")
    status = 403
