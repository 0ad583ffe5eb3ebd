"""Ledger reads are scoped to the actor: a member organisation's users see their own
organisation's accounts and what touches them; staff see everything.  (The ledger's
API and console stay staff-only by permission; the custody modules show members their
accounts through these same selectors, via the facade.)"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from custodesk.core.errors import NotFound
from custodesk.core.money import Money
from custodesk.identity import services as identity
from custodesk.ledger import facade, selectors
from custodesk.ledger.tests.factories import AccountFactory, MemberSubAccountFactory

pytestmark = pytest.mark.django_db


def hkd(minor: int) -> Money:
    return Money(minor, "HKD")


@pytest.fixture
def world(admin: Any, member_org: Any, make_user: Any, clock: Any) -> SimpleNamespace:
    other_org = identity.organisation_create(
        actor=admin, code="M002", name="Member Two Ltd", kind="member", now=clock.now()
    )
    summary = AccountFactory(code="SUM", kind="market_summary", hot=True)
    mine = MemberSubAccountFactory(
        code="M001-SUB", owner=facade.Owner("custody.member", "1", member_org.pk)
    )
    theirs = MemberSubAccountFactory(
        code="M002-SUB", owner=facade.Owner("custody.member", "2", other_org.pk)
    )
    when = {"now": clock.now(), "business_date": clock.business_date()}
    for acc, amount in ((mine, 1_000), (theirs, 2_000)):
        facade.transfer(
            actor=admin,
            debit_account_id=summary.id,
            credit_account_id=acc.id,
            amount=hkd(amount),
            kind="deposit",
            **when,
        )
    hold = facade.hold(
        actor=admin,
        debit_account_id=mine.id,
        credit_account_id=summary.id,
        amount=hkd(100),
        **when,
    )
    facade.freeze(
        actor=admin, account_id=theirs.id, kind="debit", reason_code="AML", now=clock.now()
    )
    for acc in (mine, theirs):
        with pytest.raises(facade.LedgerRefusal):
            facade.transfer(
                actor=admin,
                debit_account_id=acc.id,
                credit_account_id=summary.id,
                amount=hkd(999_999),
                **when,
            )
    return SimpleNamespace(
        summary=summary,
        mine=mine,
        theirs=theirs,
        hold=hold,
        member=make_user("m1clerk", organisation=member_org),
        staff=admin,
    )


def codes(page: selectors.AccountPage) -> list[str]:
    return [a.code for a, _b in page.items]


def touching(rows: list[Any]) -> set[str]:
    return {c for t in rows for c in (t.debit_account.code, t.credit_account.code)}


def test_a_members_user_sees_only_its_organisations_accounts(world):
    assert codes(selectors.accounts(actor=world.member)) == ["M001-SUB"]
    assert codes(selectors.accounts(actor=world.staff)) == ["M001-SUB", "M002-SUB", "SUM"]
    assert selectors.account_get(actor=world.member, code="M001-SUB").pk == world.mine.id
    for ref in ({"code": "M002-SUB"}, {"code": "SUM"}, {"pk": world.theirs.id}):
        with pytest.raises(facade.AccountNotFound):
            selectors.account_get(actor=world.member, **ref)
    listed = facade.accounts(actor=world.member)
    assert [(a.code, b.available) for a, b in listed.items] == [("M001-SUB", hkd(900))]


def test_a_members_user_sees_only_the_transfers_holds_and_attempts_touching_them(world):
    mine = selectors.transfers(actor=world.member)
    assert len(mine) == 2 and all("M001-SUB" in touching([t]) for t in mine)
    assert len(selectors.transfers(actor=world.staff)) == 3
    theirs = next(t for t in selectors.transfers(actor=world.staff) if t.amount == 2_000)
    with pytest.raises(NotFound):
        selectors.transfer_get(actor=world.member, public_id=theirs.public_id)
    assert selectors.transfer_get(actor=world.staff, public_id=theirs.public_id) == theirs
    holds = selectors.pending_holds(actor=world.member)
    assert [h.public_id for h in holds] == [world.hold.id]
    assert selectors.hold_get(actor=world.member, public_id=world.hold.id).amount == 100
    refused = selectors.refused(actor=world.member)
    assert [r.debit_account_id for r in refused] == [world.mine.id]
    assert len(selectors.refused(actor=world.staff)) == 2


def test_freezes_on_other_organisations_accounts_are_not_listed(world):
    assert list(selectors.freezes(actor=world.member, filters={"status": "all"})) == []
    [f] = selectors.freezes(actor=world.staff, filters={})
    assert f.account_id == world.theirs.id


def test_the_facades_reads_are_scoped_the_same_way(world, clock):
    day = clock.business_date()
    b = facade.balances(actor=world.member, account_id=world.mine.id)
    assert (b.posted, b.pending_debits, b.available) == (hkd(1_000), hkd(100), hkd(900))
    st = facade.statement(actor=world.member, account_id=world.mine.id, date_from=day, date_to=day)
    assert st.closing == hkd(1_000)
    with pytest.raises(facade.AccountNotFound):
        facade.balances(actor=world.member, account_id=world.theirs.id)
    with pytest.raises(facade.AccountNotFound):
        facade.statement(
            actor=world.member, account_id=world.summary.id, date_from=day, date_to=day
        )
    with pytest.raises(facade.AccountNotFound):
        facade.account(actor=world.member, code="M002-SUB")
    assert facade.balances(actor=world.staff, account_id=world.theirs.id).debit_frozen
