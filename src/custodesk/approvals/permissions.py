from django.utils.translation import gettext_lazy as _

from custodesk.core import access

GROUP = _("Approvals")
FLOW_MANAGE = access.declare("approvals.flow.manage", _("Configure approval flows"), group=GROUP)
REQUEST_VIEW_ALL = access.declare(
    "approvals.request.view_all", _("View every approval request of the organisation"), group=GROUP
)
