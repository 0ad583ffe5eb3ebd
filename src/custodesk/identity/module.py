"""Identity and access as a module (custodesk.core.modules): users, roles, sessions."""

from django.utils.translation import gettext_lazy as _

from custodesk.core.modules import ApiRouter, BuiltinRole, DemoStep, MenuItem, MenuSection, Module

from . import permissions as perms

MODULE = Module(
    console_urls="custodesk.identity.urls",
    api=ApiRouter("", "custodesk.identity.api", order=20),
    menu=(
        MenuSection("home", _("Workbench"), 0),
        MenuItem("home", _("My security"), "console:security", None, 10),
        MenuSection("system", _("System management"), 900),
        MenuItem("system", _("Users"), "console:user_list", perms.USER_VIEW, 10),
        MenuItem("system", _("Roles"), "console:role_list", perms.ROLE_VIEW, 20),
        MenuSection("records", _("Records query"), 800),
        MenuItem(
            "records", _("Login devices"), "console:login_devices", perms.LOGIN_DEVICE_VIEW, 20
        ),
        MenuItem(
            "records",
            _("Security events"),
            "console:security_events",
            perms.LOGIN_DEVICE_VIEW,
            25,
        ),
    ),
    permissions="custodesk.identity.permissions",
    roles=(
        BuiltinRole("admin", ("*",), _("Administrator"), kinds=("staff", "market", "member")),
        BuiltinRole("operator", (perms.USER_VIEW, perms.ROLE_VIEW), _("Operator (maker)")),
        BuiltinRole("approver", (perms.USER_VIEW, perms.ROLE_VIEW), _("Approver (checker)")),
        BuiltinRole(
            "compliance",
            (perms.USER_VIEW, perms.ROLE_VIEW, perms.LOGIN_DEVICE_VIEW),
            _("Compliance officer"),
        ),
        BuiltinRole(
            "auditor",
            (perms.USER_VIEW, perms.ROLE_VIEW, perms.LOGIN_DEVICE_VIEW),
            _("Auditor (read only)"),
        ),
    ),
    demo=DemoStep("custodesk.identity.demo.seed", 10, notes="custodesk.identity.demo.notes"),
    # role grants and revocations, role and user administration are approvable actions
    imports=(
        "custodesk.identity.approvals",
        "custodesk.identity.governance",
        "custodesk.identity.messages",
    ),
    api_auth="custodesk.identity.apiauth.authenticate",  # bearer tokens are API sessions
    # every 403 the API or the console answers is kept as a security event
    refusals="custodesk.identity.security_events.record_permission_denied",
)
