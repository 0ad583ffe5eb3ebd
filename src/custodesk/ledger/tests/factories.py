"""factory_boy factories for ledger test data, built through the ledger's facade (the
way another module opens its accounts): audited, validated, never raw inserts."""

from __future__ import annotations

from typing import Any

import factory

from custodesk.core import clock
from custodesk.ledger import facade


class AccountFactory(factory.Factory):
    """``AccountFactory(kind="market_summary", hot=True)`` → a :class:`facade.Account`."""

    class Meta:
        model = facade.Account

    code = factory.Sequence(lambda n: f"F-{n:05d}")
    kind = facade.AccountKind.MEMBER_SUB
    currency = "HKD"
    name = factory.LazyAttribute(lambda o: f"Account {o.code}")
    owner = None
    rule = facade.BalanceRule.NONE
    hot = False

    @classmethod
    def _create(cls, model_class: Any, *args: Any, **kwargs: Any) -> facade.Account:
        return facade.open_account(actor=kwargs.pop("actor", None), now=clock.now(), **kwargs)


class MemberSubAccountFactory(AccountFactory):
    """A member's custody sub-account: its available balance never goes below zero."""

    rule = facade.BalanceRule.DEBITS_MUST_NOT_EXCEED_CREDITS
