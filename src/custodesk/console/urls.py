from django.urls import path
from django.utils.translation import gettext_lazy as _

from custodesk.approvals import permissions as approval_perms
from custodesk.approvals import views as approval_views
from custodesk.audit import permissions as audit_perms
from custodesk.audit import views as audit_views
from custodesk.identity import permissions as identity_perms
from custodesk.identity import views as identity_views
from custodesk.ledger import permissions as ledger_perms
from custodesk.ledger import views as ledger_views
from custodesk.notify import permissions as notify_perms
from custodesk.notify import views as notify_views

from . import context_processors, menu, views

app_name = "console"

urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", identity_views.sign_in, name="sign_in"),
    path("sign-in/code/", identity_views.sign_in_otp, name="sign_in_otp"),
    path("sign-out/", identity_views.sign_out, name="sign_out"),
    path("password/", identity_views.password_change, name="password_change"),
    path("security/", identity_views.security, name="security"),
    path("security/totp/", identity_views.totp_begin, name="totp_begin"),
    path("security/totp/confirm/", identity_views.totp_confirm, name="totp_confirm"),
    path("users/", identity_views.user_list, name="user_list"),
    path("users/new/", identity_views.user_new, name="user_new"),
    path("users/<uuid:public_id>/", identity_views.user_detail, name="user_detail"),
    path("users/<uuid:public_id>/grant/", identity_views.user_grant, name="user_grant"),
    path(
        "users/<uuid:public_id>/roles/<uuid:role_id>/revoke/",
        identity_views.user_revoke,
        name="user_revoke",
    ),
    path("users/<uuid:public_id>/<slug:action>/", identity_views.user_action, name="user_action"),
    path("roles/", identity_views.role_list, name="role_list"),
    path("login-devices/", identity_views.login_devices, name="login_devices"),
    path(
        "sessions/<uuid:public_id>/force-logout/",
        identity_views.session_force_logout,
        name="session_force_logout",
    ),
    path("approvals/", approval_views.inbox, name="approvals"),
    path("approvals/batch/", approval_views.batch, name="approval_batch"),
    path("approvals/flows/", approval_views.flow_list, name="approval_flows"),
    path(
        "approvals/flows/<str:action_type>/",
        approval_views.flow_edit,
        name="approval_flow_edit",
    ),
    path("approvals/<uuid:public_id>/", approval_views.detail, name="approval_detail"),
    path(
        "approvals/<uuid:public_id>/<slug:action>/",
        approval_views.decide,
        name="approval_decide",
    ),
    path("audit/", audit_views.audit_list, name="audit_list"),
    path("audit/<uuid:public_id>/", audit_views.audit_detail, name="audit_detail"),
    path("ledger/accounts/", ledger_views.account_list, name="ledger_accounts"),
    path("ledger/accounts/<str:code>/", ledger_views.account_detail, name="ledger_account"),
    path("ledger/accounts/<str:code>/freeze/", ledger_views.freeze_place, name="ledger_freeze"),
    path(
        "ledger/accounts/<str:code>/freezes/<uuid:freeze_id>/release/",
        ledger_views.freeze_release,
        name="ledger_freeze_release",
    ),
    path(
        "ledger/accounts/<str:code>/close/",
        ledger_views.account_close,
        name="ledger_account_close",
    ),
    path("ledger/transfers/", ledger_views.transfer_list, name="ledger_transfers"),
    path("ledger/holds/", ledger_views.hold_list, name="ledger_holds"),
    path("ledger/freezes/", ledger_views.freeze_list, name="ledger_freezes"),
    path("ledger/refused/", ledger_views.refused_list, name="ledger_refused"),
    path("notify/messages/", notify_views.message_list, name="notify_messages"),
    path("notify/messages/<uuid:public_id>/", notify_views.message_detail, name="notify_message"),
    path(
        "notify/messages/<uuid:public_id>/<slug:action>/",
        notify_views.message_action,
        name="notify_message_action",
    ),
    path("notify/phone/", notify_views.phone, name="notify_phone"),
]

menu.section("home", _("Workbench"), 0)
menu.register("home", menu.MenuItem(_("Home"), "console:home", None, 0))
menu.register("home", menu.MenuItem(_("My security"), "console:security", None, 10))
menu.section("approvals", _("Approvals"), 50)
menu.register("approvals", menu.MenuItem(_("Approval inbox"), "console:approvals", None, 10))
menu.register(
    "approvals",
    menu.MenuItem(_("Approval flows"), "console:approval_flows", approval_perms.FLOW_MANAGE, 20),
)
context_processors.register_badge(approval_views.pending_badge)
menu.section("system", _("System management"), 900)
menu.register(
    "system", menu.MenuItem(_("Users"), "console:user_list", identity_perms.USER_VIEW, 10)
)
menu.register(
    "system", menu.MenuItem(_("Roles"), "console:role_list", identity_perms.ROLE_VIEW, 20)
)
menu.section("records", _("Records query"), 800)
menu.register(
    "records",
    menu.MenuItem(_("Operation records"), "console:audit_list", audit_perms.VIEW, 10),
)
menu.register(
    "records",
    menu.MenuItem(
        _("Login devices"), "console:login_devices", identity_perms.LOGIN_DEVICE_VIEW, 20
    ),
)
menu.register(
    "records",
    menu.MenuItem(_("Outbox messages"), "console:notify_messages", notify_perms.VIEW, 30),
)
menu.section("ledger", _("Ledger"), 600)
menu.register(
    "ledger", menu.MenuItem(_("Accounts"), "console:ledger_accounts", ledger_perms.VIEW, 10)
)
menu.register(
    "ledger", menu.MenuItem(_("Transfers"), "console:ledger_transfers", ledger_perms.VIEW, 20)
)
menu.register("ledger", menu.MenuItem(_("Holds"), "console:ledger_holds", ledger_perms.VIEW, 30))
menu.register(
    "ledger", menu.MenuItem(_("Freezes"), "console:ledger_freezes", ledger_perms.VIEW, 35)
)
menu.register(
    "ledger",
    menu.MenuItem(_("Refused attempts"), "console:ledger_refused", ledger_perms.VIEW, 40),
)
