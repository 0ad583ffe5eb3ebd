from django.utils.translation import gettext_lazy as _

from custodesk.core import access

GROUP = _("Outbox")
VIEW = access.declare(
    "notify.message.view", _("View outbox messages"), group=GROUP, staff_only=True
)
MANAGE = access.declare(
    "notify.message.manage",
    _("Retry or give up outbox messages"),
    group=GROUP,
    staff_only=True,
)
ENDPOINT_MANAGE = access.declare(
    "notify.endpoint.manage", _("Manage webhook endpoints"), group=GROUP, staff_only=True
)
PHONE_VIEW = access.declare(
    "notify.phone.view",
    _("Read the embedded SMS gateway's test phone"),
    group=GROUP,
    staff_only=True,
)
