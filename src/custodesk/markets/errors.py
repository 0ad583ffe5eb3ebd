from django.utils.translation import gettext_lazy as _

from custodesk.core.errors import Conflict


class MarketSuspended(Conflict):
    """Raised by other modules' services when a suspended market is asked to do business."""

    code = "market_suspended"
    title = _("This trading market is suspended.")
