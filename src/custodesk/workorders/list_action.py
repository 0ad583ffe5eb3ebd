"""Batch unfreeze from the account list (WO-UNFREEZE): a button of the list's bulk bar
(brokerage ``extensions``) that takes the ticked accounts to the batch unfreeze page,
ticked there; the user gives the reason and confirms.  Imported at start (``module.py``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from custodesk.brokerage import extensions

from . import permissions as perms

extensions.register_bulk_action(
    extensions.BulkAction(
        code="unfreeze",
        label=_("Unfreeze (work orders)"),
        permission=perms.ORDER_CREATE,
        url_name="console:workorders_unfreeze",
    )
)
