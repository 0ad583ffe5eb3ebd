"""Ledger services: accounts, freezes, transfers (through the engine), expiry, sealing.

Business modules call these directly with internal account ids; the API and
console map public ids first.  Operator actions on accounts (open, freeze,
unfreeze, close) go to the audit log; transfers are their own record (immutable
rows, refused attempts kept, hash-sealed in checkpoints).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext_lazy as _

from custodesk.audit.services import record
from custodesk.core import access
from custodesk.core.errors import FieldError, IllegalTransition, NotFound, ValidationFailed
from custodesk.core.money import SUPPORTED_CURRENCIES

from . import engine, locks
from . import errors as E
from . import permissions as perms
from .models import (
    HOT_SLOTS,
    AccountFreeze,
    AccountShard,
    LedgerAccount,
    LedgerTransfer,
    TransferSeal,
)

TransferSpec = engine.TransferSpec
Outcome = engine.Outcome


def _require(actor: Any, permission: str) -> None:
    if actor is not None:
        access.require(actor, permission)


def _actor_id(actor: Any) -> int | None:
    return getattr(actor, "pk", None)


def _account_state(a: LedgerAccount) -> dict[str, Any]:
    return {
        "code": a.code,
        "status": a.status,
        "debit_blocks": a.debit_blocks,
        "credit_blocks": a.credit_blocks,
        "frozen_amount": a.frozen_amount,
    }


def _audit(actor: Any, action: str, a: LedgerAccount, now: dt.datetime, **kw: Any) -> None:
    record(
        actor=actor,
        action=action,
        object_type="ledger_account",
        object_id=a.public_id,
        object_repr=f"{a.code} {a.currency}",
        organisation_id=a.organisation_id,
        now=now,
        **kw,
    )


# -- accounts ----------------------------------------------------------------------
@transaction.atomic(durable=True)
def account_open(
    *,
    actor: Any,
    code: str,
    kind: str,
    currency: str,
    name: str = "",
    owner_type: str = "",
    owner_id: str = "",
    organisation_id: int | None = None,
    debits_must_not_exceed_credits: bool = False,
    credits_must_not_exceed_debits: bool = False,
    hot: bool = False,
    now: dt.datetime,
) -> LedgerAccount:
    """Open a ledger account (``actor`` None: a business module opening one for its use case)."""
    _require(actor, perms.ACCOUNT_MANAGE)
    return account_open_within(
        actor=actor,
        code=code,
        kind=kind,
        currency=currency,
        name=name,
        owner_type=owner_type,
        owner_id=owner_id,
        organisation_id=organisation_id,
        debits_must_not_exceed_credits=debits_must_not_exceed_credits,
        credits_must_not_exceed_debits=credits_must_not_exceed_debits,
        hot=hot,
        now=now,
    )


def account_open_within(**kw: Any) -> LedgerAccount:
    """:func:`account_open` inside the caller's transaction, checking no ledger permission:
    the calling use case (``custodesk.ledger.facade``) authorised it; audited as ``actor``."""
    actor, now = kw.pop("actor"), kw.pop("now")
    errors = []
    if not kw["code"] or len(kw["code"]) > 64:
        errors.append(FieldError("code", "required", _("This field is required.")))
    if kw["kind"] not in LedgerAccount.Kind.values:
        errors.append(FieldError("kind", "choice", _("Not a valid choice.")))
    if kw["currency"] not in SUPPORTED_CURRENCIES:
        errors.append(
            FieldError("currency", "supported_currency", _("Currency must be CNY, HKD or USD."))
        )
    if kw["debits_must_not_exceed_credits"] and kw["credits_must_not_exceed_debits"]:
        errors.append(FieldError("flags", "exclusive", _("Choose at most one balance rule.")))
    if kw["hot"] and (kw["debits_must_not_exceed_credits"] or kw["credits_must_not_exceed_debits"]):
        errors.append(FieldError("hot", "no_flags", _("A hot account cannot have a balance rule.")))
    if LedgerAccount.objects.filter(code=kw["code"]).exists():
        errors.append(FieldError("code", "unique", _("This code is already used.")))
    if errors:
        raise ValidationFailed(errors)
    a = LedgerAccount.objects.create(created_at=now, **kw)
    if a.hot:
        AccountShard.objects.bulk_create(
            [AccountShard(account=a, slot=s) for s in range(HOT_SLOTS)]
        )
    _audit(
        actor,
        "ledger.account_open",
        a,
        now,
        after={
            **_account_state(a),
            "kind": a.kind,
            "currency": a.currency,
            "hot": a.hot,
            "debits_must_not_exceed_credits": a.debits_must_not_exceed_credits,
            "credits_must_not_exceed_debits": a.credits_must_not_exceed_debits,
        },
    )
    return a


def _locked_account(account_id: int) -> LedgerAccount:
    a = locks.account(account_id)
    if a is None:
        raise E.AccountNotFound()
    return a


def counters(a: LedgerAccount) -> tuple[int, int, int, int]:
    """(debits_posted, credits_posted, debits_pending, credits_pending) incl. hot shards."""
    dp, cp, dpe, cpe = a.debits_posted, a.credits_posted, a.debits_pending, a.credits_pending
    if a.hot:
        for s in AccountShard.objects.filter(account=a):
            dp, cp = dp + s.debits_posted, cp + s.credits_posted
            dpe, cpe = dpe + s.debits_pending, cpe + s.credits_pending
    return dp, cp, dpe, cpe


@transaction.atomic(durable=True)
def account_close(*, actor: Any, account_id: int, reason: str, now: dt.datetime) -> LedgerAccount:
    """Close an account with a zero balance and nothing pending."""
    _require(actor, perms.ACCOUNT_MANAGE)
    return account_close_within(actor=actor, account_id=account_id, reason=reason, now=now)


def account_close_within(
    *, actor: Any, account_id: int, reason: str, now: dt.datetime
) -> LedgerAccount:
    """:func:`account_close` inside the caller's transaction, checking no ledger
    permission: the calling use case (``custodesk.ledger.facade``) authorised it."""
    if not reason.strip():
        raise ValidationFailed.single("reason", "required", _("Give a reason."))
    a = _locked_account(account_id)
    if a.status == LedgerAccount.Status.CLOSED:
        raise IllegalTransition(status=a.status)
    dp, cp, dpe, cpe = counters(a)
    if dp != cp or dpe or cpe or a.frozen_amount:
        raise E.AccountHasBalance(balance=cp - dp, pending=dpe + cpe)
    before = _account_state(a)
    a.status = LedgerAccount.Status.CLOSED
    a.closed_at = now
    a.save(update_fields=["status", "closed_at"])
    _audit(
        actor, "ledger.account_close", a, now, before=before, after=_account_state(a), reason=reason
    )
    return a


# -- freezes -----------------------------------------------------------------------
_BLOCKS = {
    AccountFreeze.Kind.FULL: (1, 1),
    AccountFreeze.Kind.DEBIT: (1, 0),
    AccountFreeze.Kind.CREDIT: (0, 1),
    AccountFreeze.Kind.AMOUNT: (0, 0),
}


@transaction.atomic(durable=True)
def freeze_place(
    *,
    actor: Any,
    account_id: int,
    kind: str,
    reason_code: str,
    amount: int | None = None,
    legal_reference: str = "",
    expires_at: dt.datetime | None = None,
    now: dt.datetime,
) -> AccountFreeze:
    """Place a freeze; freezes stack (each is released on its own)."""
    _require(actor, perms.FREEZE)
    return freeze_place_within(
        actor=actor,
        account_id=account_id,
        kind=kind,
        reason_code=reason_code,
        amount=amount,
        legal_reference=legal_reference,
        expires_at=expires_at,
        now=now,
    )


def freeze_place_within(
    *,
    actor: Any,
    account_id: int,
    kind: str,
    reason_code: str,
    amount: int | None = None,
    legal_reference: str = "",
    expires_at: dt.datetime | None = None,
    now: dt.datetime,
) -> AccountFreeze:
    """:func:`freeze_place` inside the caller's transaction, checking no ledger permission
    (the calling use case authorised it); audited as ``actor``."""
    errors = []
    if kind not in AccountFreeze.Kind.values:
        errors.append(FieldError("kind", "choice", _("Not a valid choice.")))
    if not reason_code.strip():
        errors.append(FieldError("reason_code", "required", _("This field is required.")))
    if kind == AccountFreeze.Kind.AMOUNT and (not isinstance(amount, int) or amount <= 0):
        errors.append(FieldError("amount", "positive", _("An amount freeze needs an amount.")))
    if kind != AccountFreeze.Kind.AMOUNT and amount is not None:
        errors.append(FieldError("amount", "not_allowed", _("Only amount freezes take an amount.")))
    if expires_at is not None and expires_at <= now:
        errors.append(FieldError("expires_at", "future", _("The expiry must be in the future.")))
    if errors:
        raise ValidationFailed(errors)
    a = _locked_account(account_id)
    if a.status != LedgerAccount.Status.OPEN:
        raise E.AccountClosed()
    before = _account_state(a)
    db, cb = _BLOCKS[AccountFreeze.Kind(kind)]
    a.debit_blocks += db
    a.credit_blocks += cb
    if kind == AccountFreeze.Kind.AMOUNT:
        assert amount is not None
        dp, cp, dpe, _cpe = counters(a)
        if a.debits_must_not_exceed_credits and dp + dpe + a.frozen_amount + amount > cp:
            raise E.ExceedsCredits(available=cp - dp - dpe - a.frozen_amount)
        a.frozen_amount += amount
    a.save(update_fields=["debit_blocks", "credit_blocks", "frozen_amount"])
    f = AccountFreeze.objects.create(
        account=a,
        kind=kind,
        amount=amount,
        reason_code=reason_code.strip(),
        legal_reference=legal_reference,
        placed_by=_actor_id(actor),
        placed_at=now,
        expires_at=expires_at,
    )
    _audit(
        actor,
        "ledger.freeze",
        a,
        now,
        before=before,
        after={
            **_account_state(a),
            "freeze": str(f.public_id),
            "kind": kind,
            "amount": amount,
            "legal_reference": legal_reference,
            "expires_at": expires_at,
        },
        reason=reason_code,
    )
    return f


def _release(f: AccountFreeze, *, actor: Any, reason: str, now: dt.datetime) -> AccountFreeze:
    a = _locked_account(f.account_id)
    before = _account_state(a)
    db, cb = _BLOCKS[AccountFreeze.Kind(f.kind)]
    a.debit_blocks -= db
    a.credit_blocks -= cb
    if f.kind == AccountFreeze.Kind.AMOUNT:
        a.frozen_amount -= f.amount or 0
    a.save(update_fields=["debit_blocks", "credit_blocks", "frozen_amount"])
    f.released_at = now
    f.released_by = _actor_id(actor)
    f.release_reason = reason[:200]
    f.save(update_fields=["released_at", "released_by", "release_reason"])
    _audit(
        actor,
        "ledger.unfreeze",
        a,
        now,
        before=before,
        after={**_account_state(a), "freeze": str(f.public_id)},
        reason=reason,
    )
    return f


@transaction.atomic(durable=True)
def freeze_release(*, actor: Any, freeze_id: Any, reason: str, now: dt.datetime) -> AccountFreeze:
    _require(actor, perms.FREEZE)
    return freeze_release_within(actor=actor, freeze_id=freeze_id, reason=reason, now=now)


def freeze_release_within(
    *, actor: Any, freeze_id: Any, reason: str, now: dt.datetime
) -> AccountFreeze:
    """:func:`freeze_release` inside the caller's transaction, checking no ledger
    permission (the calling use case authorised it); audited as ``actor``."""
    if not reason.strip():
        raise ValidationFailed.single("reason", "required", _("Give a reason."))
    f = locks.freeze(freeze_id)
    if f is None:
        raise NotFound(object="freeze")
    if f.released_at is not None:
        raise IllegalTransition(status="released")
    return _release(f, actor=actor, reason=reason, now=now)


def release_expired_freezes(*, now: dt.datetime) -> int:
    """The job that lifts freezes whose expiry has passed (one transaction each)."""
    ids = list(
        AccountFreeze.objects.filter(released_at__isnull=True, expires_at__lte=now).values_list(
            "pk", flat=True
        )[:1000]
    )
    count = 0
    for pk in ids:
        with transaction.atomic(durable=True):
            f = locks.freeze(pk=pk)
            if f is not None and f.released_at is None:
                _release(f, actor=None, reason="expired", now=now)
                count += 1
    return count


# -- transfers ---------------------------------------------------------------------
def load_transfers(ids: list[int]) -> dict[int, dict[str, Any]]:
    rows = (
        LedgerTransfer.objects.filter(pk__in=ids)
        .select_related("debit_account", "credit_account", "pending")
        .order_by("id")
    )
    return {t.pk: transfer_dict(t) for t in rows}


def transfer_dict(t: LedgerTransfer) -> dict[str, Any]:
    return {
        "id": str(t.public_id),
        "internal_id": t.pk,
        "idempotency_key": t.idempotency_key,
        "debit_account": t.debit_account.code,
        "credit_account": t.credit_account.code,
        "amount": t.amount,
        "currency": t.currency,
        "flag": t.flag,
        "pending_state": t.pending_state,
        "pending_id": str(t.pending.public_id) if t.pending_id and t.pending else None,
        "timeout_at": t.timeout_at,
        "kind": t.kind,
        "business_date": t.business_date,
        "group_id": t.group_id,
        "metadata": t.metadata,
        "created_at": t.created_at,
    }


def book(
    specs: list[TransferSpec],
    *,
    requested_by: Any = None,
    now: dt.datetime,
    business_date: dt.date,
) -> list[Outcome]:
    """Book transfers in one transaction; a result per item, in input order.

    Outside a transaction the call is its own (retried on deadlocks and key races);
    inside the caller's it is a savepoint of it, never retried (the caller's transaction
    is the unit to retry: see :mod:`custodesk.ledger.facade`).  Refused items are
    recorded as refused attempts (in the caller's transaction, if there is one).
    """
    return engine.book(
        specs,
        requested_by=_actor_id(requested_by),
        business_date=business_date,
        now=now,
        load=load_transfers,
    )


def book_one(
    spec: TransferSpec, *, requested_by: Any = None, now: dt.datetime, business_date: dt.date
) -> Outcome:
    return book([spec], requested_by=requested_by, now=now, business_date=business_date)[0]


def book_or_raise(
    spec: TransferSpec, *, requested_by: Any = None, now: dt.datetime, business_date: dt.date
) -> Outcome:
    """Like book_one, but a refusal raises its DomainError (for use inside a use case)."""
    out = book_one(spec, requested_by=requested_by, now=now, business_date=business_date)
    if not out.ok:
        raise refusal_error(out)
    return out


def refusal_error(out: Outcome) -> E.DomainError:
    for cls in [*E.LedgerRefusal.__subclasses__(), E.IdempotencyConflict, E.AccountNotFound]:
        if getattr(cls, "code", None) == out.code:
            return cls(detail=out.detail or None)
    err = E.LedgerRefusal(detail=out.detail)
    err.code = out.code or "refused"  # type: ignore[misc]
    return err


def expire_pending(*, now: dt.datetime, business_date: dt.date, limit: int = 1000) -> int:
    """Void pending transfers past their timeout (the job)."""
    ids = list(
        LedgerTransfer.objects.filter(
            flag=LedgerTransfer.Flag.PENDING,
            pending_state=LedgerTransfer.PendingState.PENDING,
            timeout_at__lte=now,
        ).values_list("pk", flat=True)[:limit]
    )
    if not ids:
        return 0
    specs = [TransferSpec(flag="void_pending", pending_id=i, kind="pending_timeout") for i in ids]
    outs = engine.book(
        specs, requested_by=None, business_date=business_date, now=now, load=load_transfers
    )
    expired = [ids[o.index] for o in outs if o.ok]
    LedgerTransfer.objects.filter(pk__in=expired, pending_state="voided").update(
        pending_state=LedgerTransfer.PendingState.EXPIRED
    )
    return len(expired)


# -- sealing (tamper evidence for postings) ----------------------------------------
GENESIS = "0" * 64


def _transfer_canonical(row: tuple[Any, ...]) -> bytes:
    return json.dumps([str(v) for v in row], separators=(",", ":")).encode()


_SEAL_COLS = (
    "id, public_id, idempotency_key, debit_account_id, credit_account_id, amount, currency, "
    "flag, pending_id, kind, business_date, group_id, created_at"
)


def _digest_range(prev: str, from_id: int, to_id: int) -> tuple[str, int]:
    h = hashlib.sha256(prev.encode())
    count = 0
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT {_SEAL_COLS} FROM ledger_transfer WHERE id > %s AND id <= %s ORDER BY id",
            [from_id, to_id],
        )
        for row in cur.fetchall():
            row = list(row)
            row[1] = str(row[1]).replace("-", "")
            h.update(_transfer_canonical(tuple(row)))
            count += 1
    return h.hexdigest(), count


class _InFlight:
    """Transactions (other than ours) writing transfers now, and waiting for them to end."""

    # every INSERT takes ROW EXCLUSIVE on the table before the sequence gives its row an
    # id, and keeps it to the end of the transaction: a transfer with an id below the
    # highest one we can see is either visible, rolled back, or in one of these
    _WRITERS = (
        "SELECT DISTINCT virtualtransaction FROM pg_locks WHERE locktype = 'relation'"
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        " AND relation = 'ledger_transfer'::regclass AND mode = 'RowExclusiveLock'"
        " AND pid <> pg_backend_pid()"
    )
    # a transaction holds the lock on its own virtual transaction id until it ends
    _STILL_OPEN = (
        "SELECT count(*) FROM pg_locks WHERE locktype = 'virtualxid' AND granted"
        " AND virtualxid = ANY(%s)"
    )

    @classmethod
    def wait(cls, *, seconds: float) -> int:
        """Wait until every transaction writing transfers at the call has ended; the
        number still open when ``seconds`` ran out (0: all ended)."""
        if connection.vendor != "postgresql":
            return 0  # SQLite: our IMMEDIATE transaction holds the only write lock
        with connection.cursor() as cur:
            cur.execute(cls._WRITERS)
            vxids = [r[0] for r in cur.fetchall()]
            deadline = time.monotonic() + seconds
            pause = 0.002
            while vxids:
                cur.execute(cls._STILL_OPEN, [vxids])
                (open_,) = cur.fetchone() or (0,)
                if not open_ or time.monotonic() >= deadline:
                    return int(open_)
                time.sleep(pause)
                pause = min(pause * 2, 0.05)
        return 0


def seal(
    *,
    now: dt.datetime,
    min_age_seconds: int = 0,
    max_rows: int = 100_000,
    wait_seconds: float = 30.0,
) -> TransferSeal | None:
    """Chain the transfers committed since the last seal into a checkpoint.

    Runs as a job, off the booking path: transfers never wait on a global chain head,
    and the seal never blocks a booking.  A transfer's id is given when its row is
    inserted but the row is seen when its transaction commits, so a transfer may appear
    after one with a higher id.  On PostgreSQL the seal therefore waits (at most
    ``wait_seconds``) for the transactions that were writing transfers when it looked;
    if one is still open then, nothing is sealed (:class:`~.errors.SealDeferred`) and
    the next run tries again.  ``min_age_seconds`` optionally leaves the newest
    transfers (by ``created_at``) for a later seal.
    """
    with transaction.atomic(durable=True):
        last = locks.seal_head()
        from_id = last.to_id if last else 0
        prev = last.digest if last else GENESIS
        cutoff = now - dt.timedelta(seconds=min_age_seconds)
        ids = list(
            LedgerTransfer.objects.filter(pk__gt=from_id, created_at__lte=cutoff)
            .order_by("id")
            .values_list("pk", flat=True)[:max_rows]
        )
        if not ids:
            return None
        to_id = ids[-1]
        still_open = _InFlight.wait(seconds=wait_seconds)
        if still_open:
            raise E.SealDeferred(open_transactions=still_open, waited_seconds=wait_seconds)
        digest, count = _digest_range(prev, from_id, to_id)
        return TransferSeal.objects.create(
            from_id=from_id,
            to_id=to_id,
            count=count,
            digest=digest,
            prev_digest=prev,
            sealed_at=now,
        )


# -- invariants ----------------------------------------------------------------------
@dataclass(frozen=True)
class Violation:
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail}"


def verify() -> list[Violation]:
    """Check every ledger invariant; an empty list means the ledger is sound."""
    out: list[Violation] = []
    sums: dict[int, list[int]] = {}
    with connection.cursor() as cur:
        cur.execute(
            "SELECT a, SUM(dp), SUM(cp), SUM(dpe), SUM(cpe) FROM ("
            " SELECT debit_account_id AS a,"
            "  CASE WHEN flag IN ('posted','post_pending') THEN amount ELSE 0 END AS dp, 0 AS cp,"
            "  CASE WHEN flag = 'pending' AND pending_state = 'pending' THEN amount ELSE 0 END"
            "   AS dpe, 0 AS cpe FROM ledger_transfer"
            " UNION ALL"
            " SELECT credit_account_id, 0,"
            "  CASE WHEN flag IN ('posted','post_pending') THEN amount ELSE 0 END, 0,"
            "  CASE WHEN flag = 'pending' AND pending_state = 'pending' THEN amount ELSE 0 END"
            "  FROM ledger_transfer) t GROUP BY a"
        )
        for a, dp, cp, dpe, cpe in cur.fetchall():
            sums[a] = [int(dp), int(cp), int(dpe), int(cpe)]
    blocks: dict[int, list[int]] = {}  # what the freezes in force add up to, per account
    for account_id, kind, amount in AccountFreeze.objects.filter(
        released_at__isnull=True
    ).values_list("account_id", "kind", "amount"):
        db, cb = _BLOCKS[AccountFreeze.Kind(kind)]
        b = blocks.setdefault(account_id, [0, 0, 0])
        b[0] += db
        b[1] += cb
        b[2] += amount or 0
    totals: dict[str, list[int]] = {}
    for acc in LedgerAccount.objects.all().iterator():
        frozen = [acc.debit_blocks, acc.credit_blocks, acc.frozen_amount]
        if frozen != blocks.get(acc.pk, [0, 0, 0]):
            out.append(
                Violation(
                    "freezes",
                    f"account {acc.code}: freeze counters {frozen} ≠ freezes in force "
                    f"{blocks.get(acc.pk, [0, 0, 0])}",
                )
            )
        have = list(counters(acc))
        want = sums.get(acc.pk, [0, 0, 0, 0])
        if have != want:
            out.append(
                Violation("counters", f"account {acc.code}: counters {have} ≠ transfers {want}")
            )
        t = totals.setdefault(acc.currency, [0, 0, 0, 0])
        for i in range(4):
            t[i] += have[i]
        dp, cp, dpe, cpe = have
        if acc.debits_must_not_exceed_credits and dp + dpe + acc.frozen_amount > cp:
            out.append(Violation("flags", f"account {acc.code}: debits exceed credits"))
        if acc.credits_must_not_exceed_debits and cp + cpe > dp:
            out.append(Violation("flags", f"account {acc.code}: credits exceed debits"))
        if min(have) < 0:
            out.append(Violation("negative", f"account {acc.code}: negative counter {have}"))
    for currency, (dp, cp, dpe, cpe) in sorted(totals.items()):
        if dp != cp:
            out.append(Violation("balance", f"{currency}: Σ posted debits {dp} ≠ credits {cp}"))
        if dpe != cpe:
            out.append(Violation("balance", f"{currency}: Σ pending debits {dpe} ≠ credits {cpe}"))
    prev = GENESIS
    expected_from = 0
    for s in TransferSeal.objects.order_by("id"):
        if s.from_id != expected_from or s.prev_digest != prev:
            out.append(
                Violation("seal", f"seal {s.pk}: chain broken before transfer {s.from_id + 1}")
            )
        digest, count = _digest_range(s.prev_digest, s.from_id, s.to_id)
        if digest != s.digest or count != s.count:
            out.append(
                Violation("seal", f"seal {s.pk}: transfers {s.from_id + 1}..{s.to_id} changed")
            )
        prev, expected_from = s.digest, s.to_id
    return out
