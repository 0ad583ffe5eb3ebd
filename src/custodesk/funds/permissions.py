"""Permissions of deposits and withdrawals (custodesk.core.access).

The member side reuses the custody permissions the contracts module declares with the
member roles (``custody.deposit.submit`` ...: an enterprise's operator submits, its
reviewer reviews; an individual holds both submits).  Those codes are stable; they are
named here, not imported (``contracts.permissions`` is not in that module's interface).
The staff side is declared here.
"""

from django.utils.translation import gettext_lazy as _

from custodesk.core import access

GROUP = _("Funds custody")

# declared by custodesk.contracts.permissions (the member roles hold them)
DEPOSIT_SUBMIT = "custody.deposit.submit"
DEPOSIT_REVIEW = "custody.deposit.review"
WITHDRAWAL_SUBMIT = "custody.withdrawal.submit"
WITHDRAWAL_REVIEW = "custody.withdrawal.review"
QUERY_VIEW = "custody.query.view"

MOVEMENT_VIEW = access.declare(
    "funds.movement.view",
    _("View every member's deposits and withdrawals"),
    group=GROUP,
    staff_only=True,
)
LIMIT_MANAGE = access.declare(
    "funds.limit.manage",
    _("Set deposit and withdrawal limits and market webhooks"),
    group=GROUP,
    staff_only=True,
)
RESOLVE = access.declare(
    "funds.unknown.resolve",
    _("Resolve transfers whose outcome at the bank is unknown"),
    group=GROUP,
    staff_only=True,
)

STAFF_VIEW = (MOVEMENT_VIEW,)
STAFF_OPERATIONS = (MOVEMENT_VIEW, LIMIT_MANAGE, RESOLVE)
