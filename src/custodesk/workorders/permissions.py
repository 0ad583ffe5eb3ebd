"""Permissions of the work-order centre (custodesk.core.access), staff only.

Deciding an order is the approval engine's business (its flow names the approvers);
executing it needs the brokerage permission of the action (the brokerage services check
the deciding user's rights)."""

from django.utils.translation import gettext_lazy as _

from custodesk.core import access

GROUP = _("Work-order centre")

ORDER_VIEW = access.declare(
    "workorders.order.view", _("View work orders"), group=GROUP, staff_only=True
)
ORDER_CREATE = access.declare(
    "workorders.order.create",
    _("Create, submit and cancel work orders"),
    group=GROUP,
    staff_only=True,
)
ORDER_DECIDE = access.declare(
    "workorders.order.decide",
    _("Approve or reject work orders (as the approval flow allows)"),
    group=GROUP,
    staff_only=True,
)
