"""What the funds module adds to the running system (custodesk.core.modules): deposits
and withdrawals (FUND-IN / FUND-OUT) for members, the staff's list, limits, market
webhooks and the queue of rail outcomes to resolve, and the reconciliation job."""

from custodesk.core.modules import Module

from . import permissions as perms  # noqa: F401

MODULE = Module(
    permissions="custodesk.funds.permissions",
)
