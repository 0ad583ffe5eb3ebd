"""Model-based tests: random operation sequences against the ledger and a tiny model.

The model below is written from the rules, not from the engine: accounts with
four counters, the two balance flags, freezes (full, debit, credit, amount),
closing, currency match, holds resolved once (post ≤ the held amount, void,
timeout), idempotency keys and atomic groups.  Hypothesis drives both with the
same random steps; after every step the counters, states and error codes must
agree, and after every sequence ``services.verify()`` must find nothing wrong.

Each Hypothesis example starts from a clean slate: a savepoint is taken when
the machine starts and rolled back when it ends (the services open *durable*
atomic blocks, which may not nest in an ``atomic()`` of ours, but do nest in a
bare savepoint inside the test's transaction).
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import os
from collections import Counter
from dataclasses import dataclass
from typing import Any, ClassVar

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from custodesk.core.clock import FixedClock
from custodesk.core.errors import DomainError
from custodesk.ledger import engine, services
from custodesk.ledger.models import LedgerAccount, LedgerTransfer, RefusedTransfer
from custodesk.ledger.services import TransferSpec
from custodesk.testing.fixtures import START

pytestmark = pytest.mark.django_db

CURRENCIES = ("HKD", "USD")
HOLD_TIMEOUT = 60  # seconds
SEEN: Counter[str] = Counter()  # outcomes met (to show the runs reach the interesting cases)


# -- the model ------------------------------------------------------------------------
@dataclass
class MAccount:
    id: int
    currency: str
    dmnec: bool  # debits must not exceed credits
    cmned: bool  # credits must not exceed debits
    hot: bool
    status: str = "open"
    debit_blocks: int = 0
    credit_blocks: int = 0
    frozen: int = 0
    dp: int = 0
    cp: int = 0
    dpe: int = 0
    cpe: int = 0

    def counters(self) -> tuple[int, int, int, int]:
        return (self.dp, self.cp, self.dpe, self.cpe)


@dataclass
class MHold:
    debit: int
    credit: int
    amount: int
    currency: str
    timeout_at: dt.datetime | None
    state: str = "pending"


@dataclass
class MFreeze:
    account: int
    kind: str
    amount: int | None
    released: bool = False


BLOCKS = {"full": (1, 1), "debit": (1, 0), "credit": (0, 1), "amount": (0, 0)}


class Model:
    """The ledger's rules, restated as plainly as possible."""

    def __init__(self) -> None:
        self.accounts: dict[int, MAccount] = {}
        self.holds: dict[int, MHold] = {}
        self.freezes: dict[Any, MFreeze] = {}
        self.booked = 0  # transfer rows
        self.refused = 0  # refused-attempt rows

    # a transfer: returns an error code, or None when it applies (and applies it)
    def transfer(
        self, debit: int, credit: int, amount: int, currency: str, flag: str
    ) -> str | None:
        if amount <= 0:
            return "invalid_amount"
        if debit == credit:
            return "accounts_must_be_different"
        d, c = self.accounts[debit], self.accounts[credit]
        if d.currency != currency or c.currency != currency:
            return "currency_mismatch"
        if d.status != "open" or c.status != "open":
            return "account_closed"
        if d.debit_blocks:
            return "account_debit_frozen"
        if c.credit_blocks:
            return "account_credit_frozen"
        if d.dmnec and d.dp + d.dpe + d.frozen + amount > d.cp:
            return "exceeds_credits"
        if c.cmned and c.cp + c.cpe + amount > c.dp:
            return "exceeds_debits"
        if flag == "pending":
            d.dpe += amount
            c.cpe += amount
        else:
            d.dp += amount
            c.cp += amount
        return None

    def resolve(self, hold_id: int, flag: str, amount: int | None, now: dt.datetime) -> str | None:
        if amount is not None and amount <= 0:
            return "invalid_amount"
        h = self.holds.get(hold_id)
        if h is None:
            return "pending_transfer_not_found"
        if h.state != "pending":
            return "pending_transfer_already_resolved"
        d, c = self.accounts[h.debit], self.accounts[h.credit]
        if flag == "void_pending":
            d.dpe -= h.amount
            c.cpe -= h.amount
            h.state = "voided"
            return None
        if h.timeout_at is not None and h.timeout_at <= now:
            return "pending_transfer_already_resolved"  # timed out: only a void is allowed
        posted = h.amount if amount is None else amount
        if posted > h.amount:
            return "post_exceeds_pending"
        if d.debit_blocks:  # a freeze placed after the hold stops its posting
            return "account_debit_frozen"
        if c.credit_blocks:
            return "account_credit_frozen"
        # posting releases the whole hold and posts `posted` (the rest goes back)
        if d.dmnec and d.dp + posted + d.dpe - h.amount + d.frozen > d.cp:
            return "exceeds_credits"
        if c.cmned and c.cp + posted + c.cpe - h.amount > c.dp:
            return "exceeds_debits"
        d.dpe -= h.amount
        c.cpe -= h.amount
        d.dp += posted
        c.cp += posted
        h.state = "posted"
        return None

    def freeze(self, account: int, kind: str, amount: int | None) -> str | None:
        a = self.accounts[account]
        if a.status != "open":
            return "account_closed"
        if kind == "amount":
            assert amount is not None
            if a.dmnec and a.dp + a.dpe + a.frozen + amount > a.cp:
                return "exceeds_credits"
            a.frozen += amount
        db, cb = BLOCKS[kind]
        a.debit_blocks += db
        a.credit_blocks += cb
        return None

    def unfreeze(self, freeze_id: Any) -> str | None:
        f = self.freezes[freeze_id]
        if f.released:
            return "illegal_transition"
        a = self.accounts[f.account]
        db, cb = BLOCKS[f.kind]
        a.debit_blocks -= db
        a.credit_blocks -= cb
        a.frozen -= f.amount or 0
        f.released = True
        return None

    def close(self, account: int) -> str | None:
        a = self.accounts[account]
        if a.status != "open":
            return "illegal_transition"
        if a.dp != a.cp or a.dpe or a.cpe or a.frozen:
            return "account_has_balance"
        a.status = "closed"
        return None

    def expire(self, now: dt.datetime) -> int:
        n = 0
        for h in self.holds.values():
            if h.state == "pending" and h.timeout_at is not None and h.timeout_at <= now:
                self.accounts[h.debit].dpe -= h.amount
                self.accounts[h.credit].cpe -= h.amount
                h.state = "expired"
                n += 1
        return n

    def snapshot(self) -> Any:
        return copy.deepcopy((self.accounts, self.holds))

    def restore(self, snap: Any) -> None:
        self.accounts, self.holds = snap


# -- the machine ---------------------------------------------------------------------------
FLAGS = ["dmnec", "none", "dmnec", "cmned"]
MOSTLY = st.sampled_from([True] * 9 + [False])  # shrinks towards True


class LedgerMachine(RuleBasedStateMachine):
    """Random steps; each is applied to the model first (its verdict), then to the ledger."""

    clock: ClassVar[FixedClock]

    def __init__(self) -> None:
        super().__init__()
        self.clock.set(START)
        self.clock.set_business_date(None)
        engine.clear_caches()  # account ids are reused after the rollback (SQLite)
        self.savepoint = transaction.savepoint()
        self.model = Model()
        self.n = 0  # unique codes, keys
        self.sent: dict[str, tuple[TransferSpec, bool, str | None, int | None]] = {}

    def teardown(self) -> None:
        try:
            assert services.verify() == []
            assert LedgerTransfer.objects.count() == self.model.booked
            assert RefusedTransfer.objects.count() == self.model.refused
        finally:
            transaction.savepoint_rollback(self.savepoint)
            engine.clear_caches()

    # -- helpers --------------------------------------------------------------------
    def _next(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}-{self.n}"

    def _book(self, specs: list[TransferSpec]) -> list[services.Outcome]:
        return services.book(specs, now=self.clock.now(), business_date=self.clock.business_date())

    def _open(self, currency: str, flag: str, hot: bool) -> int:
        a = services.account_open(
            actor=None,
            code=self._next("ACC"),
            kind="market_summary" if hot else "member_sub",
            currency=currency,
            debits_must_not_exceed_credits=flag == "dmnec",
            credits_must_not_exceed_debits=flag == "cmned",
            hot=hot,
            now=self.clock.now(),
        )
        self.model.accounts[a.pk] = MAccount(a.pk, currency, flag == "dmnec", flag == "cmned", hot)
        return a.pk

    def _pair(self, data: st.DataObject) -> tuple[int, int, int, str]:
        """Debit, credit, amount, currency: mostly a plausible transfer, sometimes not."""
        accs = self.model.accounts
        ids = sorted(accs)
        debit = data.draw(st.sampled_from(ids), label="debit")
        peers = [i for i in ids if i != debit and accs[i].currency == accs[debit].currency]
        plausible = data.draw(MOSTLY, label="plausible")
        pool = peers if peers and plausible else ids
        credit = data.draw(st.sampled_from(pool), label="credit")
        if not data.draw(MOSTLY, label="valid amount"):
            amount = data.draw(st.sampled_from([0, -1]), label="amount")
        else:
            amount = data.draw(st.integers(1, 2_500), label="amount")
        currency = accs[debit].currency
        if not data.draw(MOSTLY, label="usual currency"):
            currency = data.draw(st.sampled_from(CURRENCIES), label="currency")
        return debit, credit, amount, currency

    def _expect(self, label: str, out: services.Outcome, code: str | None) -> None:
        """Compare one outcome with the model's verdict; count the rows it wrote."""
        assert (out.ok, out.code) == (code is None, code), out
        assert not out.replayed
        SEEN[f"{label}: {code or 'ok'}"] += 1
        if code is None:
            self.model.booked += 1
        else:
            self.model.refused += 1

    @staticmethod
    def _code_of(label: str, fn: Any) -> tuple[Any, str | None]:
        try:
            result, code = fn(), None
        except DomainError as exc:
            result, code = None, exc.code
        SEEN[f"{label}: {code or 'ok'}"] += 1
        return result, code

    # -- rules ----------------------------------------------------------------------
    @initialize()
    def chart_of_accounts(self) -> None:
        """Per currency: a source without a balance rule (HKD's is a hot summary account),
        two member accounts that may not go below zero, one the other way round, one plain."""
        for currency in CURRENCIES:
            self._open(currency, "none", hot=currency == "HKD")
            for flag in ("dmnec", "dmnec", "cmned", "none"):
                self._open(currency, flag, hot=False)

    @rule(currency=st.sampled_from(CURRENCIES), flag=st.sampled_from(FLAGS))
    def open_account(self, currency: str, flag: str) -> None:
        self._open(currency, flag, hot=False)

    @rule(data=st.data(), with_key=st.booleans())
    def transfer(self, data: st.DataObject, with_key: bool) -> None:
        self._transfer(*self._pair(data), with_key=with_key, flag="posted", timeout=None)

    @rule(data=st.data(), timeout=st.sampled_from([None, HOLD_TIMEOUT]))
    def hold(self, data: st.DataObject, timeout: int | None) -> None:
        self._transfer(*self._pair(data), with_key=False, flag="pending", timeout=timeout)

    def _transfer(
        self,
        debit: int,
        credit: int,
        amount: int,
        currency: str,
        *,
        with_key: bool,
        flag: str,
        timeout: int | None,
    ) -> None:
        key = self._next("key") if with_key else None
        spec = TransferSpec(
            debit, credit, amount, currency, flag=flag, timeout_seconds=timeout, idempotency_key=key
        )
        code = self.model.transfer(debit, credit, amount, currency, flag)
        [out] = self._book([spec])
        self._expect(flag, out, code)
        tid = out.transfer["internal_id"] if out.ok else None
        if key is not None:
            self.sent[key] = (spec, out.ok, out.code, tid)
        if flag == "pending" and tid is not None:
            timeout_at = self.clock.now() + dt.timedelta(seconds=timeout) if timeout else None
            self.model.holds[tid] = MHold(debit, credit, amount, currency, timeout_at)

    def _pick_hold(self, data: st.DataObject) -> int:
        """Usually a hold still pending; sometimes a resolved one or no hold at all."""
        live = sorted(i for i, h in self.model.holds.items() if h.state == "pending")
        choice = data.draw(st.sampled_from(["live"] * 6 + ["any", "none"]), label="which hold")
        if choice == "none":
            # a posted transfer's id (or no transfer at all) is not a pending transfer
            other = LedgerTransfer.objects.exclude(flag="pending").order_by("id").first()
            return other.pk if other is not None else 10**12
        if live and choice == "live":
            return data.draw(st.sampled_from(live), label="hold")
        return data.draw(st.sampled_from(sorted(self.model.holds) or [10**12]), label="hold")

    @precondition(lambda self: bool(self.model.holds))
    @rule(data=st.data())
    def post(self, data: st.DataObject) -> None:
        hold = self._pick_hold(data)
        held = self.model.holds[hold].amount if hold in self.model.holds else 100
        amount = data.draw(
            st.none() | st.integers(1, held) | st.sampled_from([0, held + 1]), label="post amount"
        )
        code = self.model.resolve(hold, "post_pending", amount, self.clock.now())
        [out] = self._book([TransferSpec(flag="post_pending", pending_id=hold, amount=amount)])
        self._expect("post", out, code)
        if out.ok:
            assert out.transfer["amount"] == (held if amount is None else amount)

    @precondition(lambda self: bool(self.model.holds))
    @rule(data=st.data())
    def void(self, data: st.DataObject) -> None:
        hold = self._pick_hold(data)
        code = self.model.resolve(hold, "void_pending", None, self.clock.now())
        [out] = self._book([TransferSpec(flag="void_pending", pending_id=hold)])
        self._expect("void", out, code)

    @rule(
        data=st.data(),
        kind=st.sampled_from(["full", "debit", "credit", "amount"]),
        amount=st.integers(min_value=1, max_value=2_000),
    )
    def freeze(self, data: st.DataObject, kind: str, amount: int) -> None:
        account = data.draw(st.sampled_from(sorted(self.model.accounts)), label="account")
        amt = amount if kind == "amount" else None
        code = self.model.freeze(account, kind, amt)
        f, got = self._code_of(
            "freeze_place",
            lambda: services.freeze_place(
                actor=None,
                account_id=account,
                kind=kind,
                amount=amt,
                reason_code="TEST",
                now=self.clock.now(),
            ),
        )
        assert got == code
        if f is not None:
            self.model.freezes[f.public_id] = MFreeze(account, kind, amt)

    @precondition(lambda self: bool(self.model.freezes))
    @rule(data=st.data())
    def unfreeze(self, data: st.DataObject) -> None:
        ids = sorted(self.model.freezes, key=str)
        freeze = data.draw(st.sampled_from(ids), label="freeze")
        code = self.model.unfreeze(freeze)
        _, got = self._code_of(
            "freeze_release",
            lambda: services.freeze_release(
                actor=None, freeze_id=freeze, reason="lifted", now=self.clock.now()
            ),
        )
        assert got == code

    @rule(data=st.data())
    def close(self, data: st.DataObject) -> None:
        account = data.draw(st.sampled_from(sorted(self.model.accounts)), label="account")
        code = self.model.close(account)
        _, got = self._code_of(
            "account_close",
            lambda: services.account_close(
                actor=None, account_id=account, reason="test", now=self.clock.now()
            ),
        )
        assert got == code

    @rule(seconds=st.sampled_from([61, 1, 30]), run_job=st.booleans())
    def time_passes(self, seconds: int, run_job: bool) -> None:
        """The clock moves; maybe the expiry job runs (voids holds past their timeout)."""
        self.clock.advance(seconds=seconds)
        if not run_job:
            return
        expected = self.model.expire(self.clock.now())
        got = services.expire_pending(
            now=self.clock.now(), business_date=self.clock.business_date()
        )
        assert got == expected
        SEEN[f"expire_pending: {'some' if got else 'none'}"] += 1
        self.model.booked += got  # one void_pending transfer per expired hold

    @precondition(lambda self: bool(self.sent))
    @rule(data=st.data(), change=st.booleans())
    def resend(self, data: st.DataObject, change: bool) -> None:
        """The same key again: the same answer (replayed); other content: a conflict."""
        key = data.draw(st.sampled_from(sorted(self.sent)), label="key")
        spec, ok, code, tid = self.sent[key]
        if change:
            spec = dataclasses.replace(spec, amount=spec.amount + 1)
        [out] = self._book([spec])
        if change:
            assert (out.ok, out.code, out.replayed) == (False, "idempotency_conflict", False)
        else:
            assert (out.ok, out.code, out.replayed) == (ok, code, True)
            assert (out.transfer or {}).get("internal_id") == tid
            if not ok:  # a retried refusal is an attempt too, recorded beside the first
                self.model.refused += 1
        SEEN[f"resend: {out.code or 'ok'}{' (replayed)' if out.replayed else ''}"] += 1

    @rule(data=st.data(), size=st.integers(min_value=2, max_value=6))
    def batch(self, data: st.DataObject, size: int) -> None:
        """Posted transfers in one call, some in atomic groups (whole or nothing), the
        rest on their own; a group applies at the position of its first item."""
        items = []
        for _ in range(size):
            debit, credit, amount, currency = self._pair(data)
            group = data.draw(st.sampled_from(["", "", "g1", "g2"]), label="group")
            items.append((debit, credit, amount, currency, group))
        specs = [TransferSpec(d, c, amt, cur, group_id=g) for d, c, amt, cur, g in items]
        expected: list[str | None] = [None] * size
        members: dict[str, list[int]] = {}
        for i, item in enumerate(items):
            if item[4]:
                members.setdefault(item[4], []).append(i)
        done: set[str] = set()
        for i, (d, c, amt, cur, g) in enumerate(items):
            if not g:
                expected[i] = self.model.transfer(d, c, amt, cur, "posted")
                continue
            if g in done:
                continue
            done.add(g)
            snap = self.model.snapshot()
            codes = [(j, self.model.transfer(*items[j][:4], "posted")) for j in members[g]]
            if any(code is not None for _, code in codes):
                self.model.restore(snap)  # nothing of a failed group applies
                for j, code in codes:
                    expected[j] = code or "group_failed"
        outs = self._book(specs)
        assert [o.code for o in outs] == expected
        for out, code in zip(outs, expected, strict=True):
            self._expect("batch", out, code)

    # -- the comparison after every step -----------------------------------------------
    @invariant()
    def ledger_agrees_with_model(self) -> None:
        rows = {a.pk: a for a in LedgerAccount.objects.filter(pk__in=list(self.model.accounts))}
        assert set(rows) == set(self.model.accounts)
        for pk, m in self.model.accounts.items():
            a = rows[pk]
            assert services.counters(a) == m.counters(), (a.code, m)
            assert (a.status, a.debit_blocks, a.credit_blocks, a.frozen_amount) == (
                m.status,
                m.debit_blocks,
                m.credit_blocks,
                m.frozen,
            ), (a.code, m)
        states = dict(
            LedgerTransfer.objects.filter(flag="pending").values_list("id", "pending_state")
        )
        assert states == {i: h.state for i, h in self.model.holds.items()}


def test_random_operation_sequences_agree_with_the_model(clock):
    """25 random sequences of up to 30 steps (LEDGER_MODEL_EXAMPLES=400 for a long hunt)."""
    SEEN.clear()
    LedgerMachine.clock = clock
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=int(os.environ.get("LEDGER_MODEL_EXAMPLES", "25")),
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
            database=None,
        ),
    )
    print(sorted(SEEN.items()))  # with -s: which outcomes the run met
    # the runs booked money and were refused for the rules, not only for bad input
    assert sum(n for k, n in SEEN.items() if k.endswith(": ok")) > 0
    assert sum(n for k, n in SEEN.items() if "exceeds_" in k or "frozen" in k) > 0


def test_groups_and_single_items_in_one_call(clock):
    """A failed group books nothing, a good one books whole, at the position of its first
    item; the single items around them are booked or refused on their own."""

    def open_(code: str, **kw: Any) -> LedgerAccount:
        return services.account_open(
            actor=None, code=code, kind="member_sub", currency="HKD", now=clock.now(), **kw
        )

    src = open_("SRC")
    a, b, c = (open_(x, debits_must_not_exceed_credits=True) for x in ("A", "B", "C"))
    specs = [
        TransferSpec(src.pk, a.pk, 1_000, "HKD"),  # 0 single
        TransferSpec(a.pk, b.pk, 600, "HKD", group_id="g1"),  # 1 g1: fine by itself ...
        TransferSpec(a.pk, c.pk, 500, "HKD"),  # 2 single: fits only if g1 is not booked
        TransferSpec(b.pk, c.pk, 10_000, "HKD", group_id="g1"),  # 3 g1: ... but this fails
        TransferSpec(src.pk, b.pk, 300, "HKD", group_id="g2"),  # 4 g2 (applies here, whole)
        TransferSpec(b.pk, c.pk, 400, "HKD"),  # 5 single: needs both of g2's credits
        TransferSpec(src.pk, b.pk, 100, "HKD", group_id="g2"),  # 6 g2
        TransferSpec(c.pk, a.pk, 10**6, "HKD"),  # 7 single: refused
    ]
    outs = services.book(specs, now=clock.now(), business_date=clock.business_date())
    assert [o.index for o in outs] == list(range(8))
    assert [o.code for o in outs] == [
        None,
        "group_failed",
        None,
        "exceeds_credits",
        None,
        None,
        None,
        "exceeds_credits",
    ]
    # rows are written in the order the items were applied: g2 whole, before item 5
    booked = LedgerTransfer.objects.order_by("id")
    assert [(t.debit_account.code, t.credit_account.code, t.amount) for t in booked] == [
        ("SRC", "A", 1_000),
        ("A", "C", 500),
        ("SRC", "B", 300),
        ("SRC", "B", 100),
        ("B", "C", 400),
    ]
    assert [t.group_id for t in booked] == ["", "", "g2", "g2", ""]
    assert [o.transfer["internal_id"] for o in outs if o.ok] == [
        booked[0].pk,
        booked[1].pk,
        booked[2].pk,
        booked[4].pk,
        booked[3].pk,
    ]
    assert sorted(RefusedTransfer.objects.values_list("code", flat=True)) == [
        "exceeds_credits",
        "exceeds_credits",
        "group_failed",
    ]
    fresh = {x.code: services.counters(x) for x in LedgerAccount.objects.all()}
    assert fresh == {
        "SRC": (1_400, 0, 0, 0),
        "A": (500, 1_000, 0, 0),
        "B": (400, 400, 0, 0),
        "C": (0, 900, 0, 0),
    }
    assert services.verify() == []
