"""What the contracts module adds to the running system (custodesk.core.modules):
the member portal's custody menus (资金存管 → 签约 / 解约 …, 自助服务 …), the market's
view of its members' contracts, the member roles, the approvable sign / cancel."""

from django.utils.translation import gettext_lazy as _

from custodesk.core.modules import (
    ApiRouter,
    BuiltinRole,
    DemoStep,
    MenuItem,
    MenuSection,
    Module,
)

from . import permissions as perms

MEMBER = ("member",)

MODULE = Module(
    console_urls="custodesk.contracts.urls",
    api=ApiRouter("/custody", "custodesk.contracts.api", order=60),
    menu=(
        MenuSection("custody", _("Custody"), 300),
        MenuItem("custody", _("Contracts"), "console:contracts", perms.CONTRACT_VIEW, 10),
        MenuItem(
            "custody",
            _("Sign a contract"),
            "console:contract_markets",
            perms.CONTRACT_SUBMIT,
            20,
            kinds=MEMBER,
        ),
        MenuItem(
            "custody",
            _("Members"),
            "console:contract_members",
            perms.CONTRACT_VIEW,
            30,
            kinds=("market", "staff"),
        ),
        MenuSection("self_service", _("Self-service"), 310),
        MenuItem(
            "self_service",
            _("Bound card"),
            "console:member_cards",
            perms.MEMBER_MAINTAIN,
            10,
            kinds=MEMBER,
        ),
        MenuItem(
            "self_service",
            _("Member data"),
            "console:member_info",
            perms.MEMBER_MAINTAIN,
            20,
            kinds=MEMBER,
        ),
        MenuItem(
            "self_service",
            _("Close registration"),
            "console:member_close",
            perms.MEMBER_MAINTAIN,
            40,
            kinds=MEMBER,
        ),
    ),
    permissions="custodesk.contracts.permissions",
    roles=(
        BuiltinRole("custody_operator", perms.OPERATOR, _("Custody operator"), kinds=MEMBER),
        BuiltinRole("custody_reviewer", perms.REVIEWER, _("Custody reviewer"), kinds=MEMBER),
        BuiltinRole("custody_individual", perms.INDIVIDUAL, _("Individual member"), kinds=MEMBER),
        # the market's own users (the markets module's role): its members' contracts
        BuiltinRole("market_staff", perms.MARKET_STAFF, kinds=("market",)),
        # the bank's own staff who look at members: every market's contracts
        BuiltinRole("counter", (perms.CONTRACT_VIEW,)),
        BuiltinRole("compliance", (perms.CONTRACT_VIEW,)),
        BuiltinRole("auditor", (perms.CONTRACT_VIEW,)),
    ),
    imports=("custodesk.contracts.approvals", "custodesk.contracts.blockers"),
    demo=DemoStep("custodesk.contracts.demo.seed", 170, notes="custodesk.contracts.demo.notes"),
)
