from django.utils.translation import gettext_lazy as _

from custodesk.core import access

GROUP = _("Users & roles")
USER_VIEW = access.declare("identity.user.view", _("View users"), group=GROUP)
USER_MANAGE = access.declare(
    "identity.user.manage", _("Create users, lock, unlock, reset passwords"), group=GROUP
)
ROLE_VIEW = access.declare("identity.role.view", _("View roles"), group=GROUP)
ROLE_MANAGE = access.declare("identity.role.manage", _("Define roles"), group=GROUP)
ROLE_GRANT = access.declare("identity.role.grant", _("Grant and revoke roles"), group=GROUP)
LOGIN_DEVICE_VIEW = access.declare(
    "identity.login_device.view", _("View login devices and sessions"), group=GROUP
)
SESSION_FORCE_LOGOUT = access.declare(
    "identity.session.force_logout", _("Force other users' sessions to log out"), group=GROUP
)
ORGANISATION_MANAGE = access.declare(
    "identity.organisation.manage", _("Manage organisations and dual-admin mode"), group=GROUP
)
