"""The markets' demo step (``custodesk demo``): two trading markets in business, one
waiting for a market officer, and a market staff user who sees only its own market."""

from __future__ import annotations

from typing import Any

from custodesk.approvals import services as approvals
from custodesk.banks import selectors as banks
from custodesk.core.modules import DemoRun
from custodesk.identity import services as identity
from custodesk.identity.models import Role, User

DEMO_PASSWORD = "BackOffice-2026"  # noqa: S105 - the identity demo's password; demo databases only
AGREEMENT = (
    "第一条 会员通过本行银商结算通办理与交易市场之间的资金划转，会员交易资金由本行存管。\n"
    "第二条 会员应指定与会员名称一致的本人银行结算账户作为出入金账户。\n"
    "第三条 会员解约前，其在交易市场的资金余额应为零，且不存在未了结的交易或纠纷。\n"
    "第四条 本协议自会员签约之日起生效。"
)
MARKETS: list[dict[str, Any]] = [
    {
        "code": "GBCE",
        "name": "粤港大宗商品交易中心",
        "summary_account_no": "3602000129200456781",
        "summary_account_name": "粤港大宗商品交易中心有限公司客户交易资金专户",
        "branch": ("102", "广州市"),
        "b2b_review": True,
        "currencies": ["CNY", "HKD"],
        "admin_username": "gbce.admin",
        "admin_full_name": "陈志明",
    },
    {
        "code": "SHMX",
        "name": "沪港有色金属交易市场",
        "summary_account_no": "4367001230018822",
        "summary_account_name": "沪港有色金属交易市场有限公司资金存管专户",
        "branch": ("104", "上海市"),
        "b2b_review": False,
        "currencies": ["CNY"],
        "admin_username": "shmx.admin",
        "admin_full_name": "王丽华",
    },
    {
        "code": "QHAX",
        "name": "前海跨境农产品交易所",
        "summary_account_no": "755912345610801",
        "summary_account_name": "深圳前海跨境农产品交易所有限公司交易资金专户",
        "branch": ("308", "深圳市"),
        "b2b_review": True,
        "currencies": ["CNY", "HKD", "USD"],
        "admin_username": "qhax.admin",
        "admin_full_name": "李嘉欣",
    },
]


def _payload(spec: dict[str, Any]) -> dict[str, Any]:
    bank_code, city = spec["branch"]
    branch = banks.branch_search(bank_code=bank_code, city=city, limit=1)
    return {
        "code": spec["code"],
        "name": spec["name"],
        "summary_account_no": spec["summary_account_no"],
        "summary_account_name": spec["summary_account_name"],
        "summary_bank": "" if branch else "中国工商银行股份有限公司",
        "summary_branch_code": branch[0].code if branch else "",
        "b2b_review": spec["b2b_review"],
        "currencies": spec["currencies"],
        "agreement_title": "银商结算通服务协议",
        "agreement_body": AGREEMENT,
        "admin_username": spec["admin_username"],
        "admin_full_name": spec["admin_full_name"],
        "admin_email": f"{spec['admin_username']}@example.com",
        "admin_phone": "",
        "admin_language": "zh_Hans",
    }


def seed(run: DemoRun) -> None:
    admin = run.actors["admin"]
    checker = User.objects.filter(username="admin2").first()
    for n, spec in enumerate(MARKETS):
        sub = approvals.submit(
            actor=admin, action_type="markets.market_create", payload=_payload(spec), now=run.now
        )
        # the last one waits in the market officers' inbox
        if not sub.executed and checker is not None and n < len(MARKETS) - 1:
            approvals.approve(actor=checker, request_id=sub.request.public_id, now=run.now)
    gbce = User.objects.filter(username="gbce.admin").first()
    if gbce is None:
        return
    staff, _ = identity.user_create(
        actor=admin,
        organisation_id=gbce.organisation.public_id,
        username="gbce.staff",
        full_name="张晓燕",
        email="gbce.staff@example.com",
        password=DEMO_PASSWORD,
        must_change_password=False,
        now=run.now,
    )
    role = Role.objects.get(organisation_id=gbce.organisation_id, code="market_staff")
    sub = approvals.submit(
        actor=admin,
        action_type="identity.role_grant",
        payload={"user_id": str(staff.public_id), "role_id": str(role.public_id)},
        now=run.now,
    )
    if not sub.executed and checker is not None:
        approvals.approve(actor=checker, request_id=sub.request.public_id, now=run.now)


def notes() -> str:
    return (
        "Trading markets: GBCE and SHMX in business, QHAX waiting for admin2's approval.\n"
        "  gbce.staff  market staff of GBCE: sees its own market only"
    )
