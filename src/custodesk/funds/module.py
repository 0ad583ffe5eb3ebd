"""What the funds module adds to the running system (custodesk.core.modules): deposits
and withdrawals (FUND-IN / FUND-OUT) in the member portal, the staff's list of every
movement, limits, market webhooks and the queue of unknown rail outcomes, the
reconciliation job, and the approvable deposit / withdrawal / resolution."""

from django.utils.translation import gettext_lazy as _

from custodesk.core.modules import ApiRouter, BuiltinRole, DemoStep, MenuItem, Module

from . import permissions as perms

MEMBER = ("member",)

MODULE = Module(
    console_urls="custodesk.funds.urls",
    api=ApiRouter("/funds", "custodesk.funds.api", order=65),
    menu=(
        # under the contracts module's "Custody" section
        MenuItem(
            "custody", _("Deposit"), "console:funds_deposit", perms.DEPOSIT_SUBMIT, 40, kinds=MEMBER
        ),
        MenuItem(
            "custody",
            _("Withdrawal"),
            "console:funds_withdrawal",
            perms.WITHDRAWAL_SUBMIT,
            50,
            kinds=MEMBER,
        ),
        MenuItem(
            "custody",
            _("Deposits and withdrawals"),
            "console:funds_movements",
            perms.QUERY_VIEW,
            60,
            kinds=MEMBER,
        ),
        # the queries (views_queries.py): every kind of organisation, scoped
        MenuItem(
            "custody",
            _("Account query"),
            "console:funds_accounts",
            perms.QUERY_VIEW,
            62,
            kinds=MEMBER,
        ),
        MenuItem(
            "custody",
            _("Account query"),
            "console:funds_accounts",
            "contracts.contract.view",
            62,
            kinds=("market", "staff"),
        ),
        MenuItem(
            "custody",
            _("Transactions"),
            "console:funds_transactions",
            perms.QUERY_VIEW,
            64,
            kinds=MEMBER,
        ),
        MenuItem(
            "custody",
            _("Transactions"),
            "console:funds_transactions",
            "contracts.contract.view",
            64,
            kinds=("market", "staff"),
        ),
        MenuItem(
            "custody",
            _("Deposits and withdrawals"),
            "console:funds_staff_movements",
            perms.MOVEMENT_VIEW,
            60,
            kinds=("staff",),
        ),
        MenuItem(
            "custody",
            _("Unknown bank outcomes"),
            "console:funds_unknown",
            perms.RESOLVE,
            70,
            kinds=("staff",),
        ),
        MenuItem(
            "custody",
            _("Limits and webhooks"),
            "console:funds_limits",
            perms.LIMIT_MANAGE,
            80,
            kinds=("staff",),
        ),
    ),
    schedule={"custodesk.funds.tasks.reconcile_rail": 60},
    permissions="custodesk.funds.permissions",
    roles=(
        BuiltinRole("custody_operations", perms.STAFF_OPERATIONS, _("Custody operations")),
        BuiltinRole("counter", perms.STAFF_VIEW),
        BuiltinRole("compliance", perms.STAFF_VIEW),
        BuiltinRole("auditor", perms.STAFF_VIEW),
    ),
    imports=("custodesk.funds.approvals", "custodesk.funds.messages"),
    demo=DemoStep("custodesk.funds.demo.seed", 180, notes="custodesk.funds.demo.notes"),
)
