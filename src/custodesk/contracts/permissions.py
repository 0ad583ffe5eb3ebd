"""Permissions of the custody member portal and the contracts (custodesk.core.access).

The custody menus an enterprise administrator grants its operators and reviewers
(CT-MENU / MENU-ACL): contracts, deposit, withdrawal, queries — each a submit
(maker) and a review (checker) permission.  The deposit, withdrawal and query
permissions are declared here, where the member roles are, for the funds module
that serves those menus; their codes are stable (``custody.*``).
"""

from django.utils.translation import gettext_lazy as _

from custodesk.core import access

GROUP = _("Funds custody")

CONTRACT_VIEW = access.declare("contracts.contract.view", _("View contracts"), group=GROUP)
CONTRACT_SUBMIT = access.declare(
    "contracts.contract.submit", _("Submit contract signing and cancelling"), group=GROUP
)
CONTRACT_REVIEW = access.declare(
    "contracts.contract.review", _("Review contract signing and cancelling"), group=GROUP
)
# a market's staff report what only the market knows: unsettled trades, open disputes
MARKET_STATE_REPORT = access.declare(
    "contracts.market_state.report",
    _("Report a contract's unsettled trades and open disputes"),
    group=GROUP,
)
# the member's own data: bound card, member data, mobile number, closing the registration
MEMBER_MAINTAIN = access.declare(
    "contracts.member.maintain", _("Maintain the member's own data and bound card"), group=GROUP
)

DEPOSIT_SUBMIT = access.declare("custody.deposit.submit", _("Submit deposits"), group=GROUP)
DEPOSIT_REVIEW = access.declare("custody.deposit.review", _("Review deposits"), group=GROUP)
WITHDRAWAL_SUBMIT = access.declare(
    "custody.withdrawal.submit", _("Submit withdrawals"), group=GROUP
)
WITHDRAWAL_REVIEW = access.declare(
    "custody.withdrawal.review", _("Review withdrawals"), group=GROUP
)
QUERY_VIEW = access.declare(
    "custody.query.view", _("View sub-account balances and movements"), group=GROUP
)

# The member roles (module.py): what an enterprise's operator (maker) and reviewer
# (checker) hold, and what the single user of an individual member needs.
OPERATOR = (CONTRACT_VIEW, CONTRACT_SUBMIT, DEPOSIT_SUBMIT, WITHDRAWAL_SUBMIT, QUERY_VIEW)
REVIEWER = (CONTRACT_VIEW, CONTRACT_REVIEW, DEPOSIT_REVIEW, WITHDRAWAL_REVIEW, QUERY_VIEW)
INDIVIDUAL = (
    CONTRACT_VIEW,
    CONTRACT_SUBMIT,
    DEPOSIT_SUBMIT,
    WITHDRAWAL_SUBMIT,
    QUERY_VIEW,
    MEMBER_MAINTAIN,
)
MARKET_STAFF = (CONTRACT_VIEW, MARKET_STATE_REPORT)
