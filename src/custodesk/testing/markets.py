"""Test helpers for trading markets (built through the approval engine, as the API does)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from custodesk.approvals import services as approvals

AGREEMENT = "《银商结算通服务协议》\n第一条 会员资金由银行存管……"


def market_payload(code: str = "GBCE", **changes: Any) -> dict[str, Any]:
    """A valid create payload (``markets.market_create``)."""
    return {
        "code": code,
        "name": "粤港大宗商品交易中心",
        "summary_account_no": "4000023309200123456",
        "summary_account_name": "粤港大宗商品交易中心有限公司客户交易资金专户",
        "summary_bank": "中国工商银行股份有限公司广州天河支行",
        "summary_branch_code": "",
        "b2b_review": False,
        "currencies": ["CNY", "HKD"],
        "agreement_title": "银商结算通服务协议",
        "agreement_body": AGREEMENT,
        "admin_username": f"{code.lower()}.admin",
        "admin_full_name": "陈经理",
        "admin_email": f"admin@{code.lower()}.example.com",
        "admin_phone": "",
        "admin_language": "zh_Hans",
        **changes,
    }


def create_market(
    actor: Any, approver: Any, *, now: dt.datetime, code: str = "GBCE", **changes: Any
) -> Any:
    """Submit a market (``actor``) and approve it (``approver``); returns the Market."""
    from custodesk.markets.models import Market

    sub = approvals.submit(
        actor=actor,
        action_type="markets.market_create",
        payload=market_payload(code, **changes),
        now=now,
    )
    if not sub.executed:
        decision = approvals.approve(actor=approver, request_id=sub.request.public_id, now=now)
        assert decision.executed, "the market was not created"
    return Market.objects.get(code=code)
