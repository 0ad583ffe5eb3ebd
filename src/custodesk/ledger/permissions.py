from django.utils.translation import gettext_lazy as _

from custodesk.core import access

GROUP = _("Ledger")
VIEW = access.declare(
    "ledger.account.view", _("View ledger accounts and transfers"), group=GROUP, staff_only=True
)
ACCOUNT_MANAGE = access.declare(
    "ledger.account.manage", _("Open and close ledger accounts"), group=GROUP, staff_only=True
)
FREEZE = access.declare(
    "ledger.account.freeze", _("Freeze and unfreeze ledger accounts"), group=GROUP, staff_only=True
)
TRANSFER = access.declare(
    "ledger.transfer.create", _("Book ledger transfers"), group=GROUP, staff_only=True
)
VERIFY = access.declare(
    "ledger.verify", _("Verify ledger invariants"), group=GROUP, staff_only=True
)
