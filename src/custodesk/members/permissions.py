"""Permissions of the members module (custodesk.core.access)."""

from django.utils.translation import gettext_lazy as _

from custodesk.core import access

GROUP = _("Custody members")
APPLICATION_VIEW = access.declare(
    "members.application.view",
    _("View enterprise registration applications and their archives"),
    group=GROUP,
    staff_only=True,
)
APPLICATION_REVIEW = access.declare(
    "members.application.review",
    _("Approve or reject enterprise registration applications"),
    group=GROUP,
    staff_only=True,
)
MEMBER_VIEW = access.declare(
    "members.member.view", _("View custody members"), group=GROUP, staff_only=True
)
