"""What the batch import adds (custodesk.core.modules): its console pages, its API
routes (mounted before the centre's, whose ``/workorders/{id}`` would take them) and
two entries under the account-management menu."""

from django.utils.translation import gettext_lazy as _

from custodesk.core.modules import ApiRouter, MenuItem, Module

from .. import permissions as perms

MODULE = Module(
    console_urls="custodesk.workorders.imports.urls",
    api=ApiRouter("/workorders/imports", "custodesk.workorders.api_import", order=64),
    menu=(
        MenuItem(
            "brokerage",
            _("Work-order import"),
            "console:workorders_import_home",
            perms.ORDER_VIEW,
            42,
        ),
        MenuItem(
            "brokerage", _("Batch unfreeze"), "console:workorders_unfreeze", perms.ORDER_VIEW, 44
        ),
    ),
)
