"""Ledger API (/api/v1/ledger): staff only, permissions ``ledger.*``.

Amounts travel as decimal strings with their currency; the ledger books integer
minor units.  ``Idempotency-Key`` (header, or ``idempotency_key`` in the body):
the same key with the same content returns the first result with the header
``Idempotency-Replayed: true``; with other content it is refused
(``idempotency_conflict``).  Refused transfers answer problem+json and are
recorded as refused attempts (``GET /ledger/refused``).
"""

import threading
from typing import Annotated, Any, Literal
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import Field, Header, Query, Router, Schema

from custodesk.core import access, clock
from custodesk.core.apiauth import actor, auth
from custodesk.core.errors import DomainError, FieldError, NotFound, ValidationFailed
from custodesk.core.ids import parse_public_id
from custodesk.core.money import SUPPORTED_CURRENCIES, Money
from custodesk.core.schema_types import (
    Amount,
    Code,
    Day,
    OneOf,
    QueryBool,
    Text,
    Zoned,
    download,
)

from . import anchors, engine, exports, presenters, selectors, services
from . import errors as E
from . import permissions as perms
from .models import AccountFreeze, LedgerAccount, LedgerTransfer
from .schemas import (
    AccountIn,
    AccountKind,
    AccountOut,
    AccountPage,
    BalanceOut,
    BatchIn,
    BatchItemOut,
    BatchTransferIn,
    Currency,
    Flag,
    FreezeIn,
    FreezeOut,
    IdempotencyKey,
    LedgerReasonIn,
    PendingState,
    PostIn,
    RefusedPage,
    StatementOut,
    TransferIn,
    TransferOut,
    TransferPage,
    VerifyOut,
    VoidIn,
)

router = Router(auth=auth, tags=["ledger"])


# -- helpers -----------------------------------------------------------------------
# The Idempotency-Key header, bounded as the body field is.
KeyHeader = Annotated[IdempotencyKey | None, Header(alias="Idempotency-Key")]


def _dec(minor: int | None, currency: str) -> str | None:
    return None if minor is None else str(Money(minor, currency).to_decimal())


def _account(ref: str) -> LedgerAccount:
    """An account by code or public id, for booking (the caller holds the staff-only
    transfer permission; reads go through the scoped :func:`_visible`)."""
    pid = parse_public_id(ref)
    a = (
        LedgerAccount.objects.filter(public_id=pid).first()
        if pid
        else LedgerAccount.objects.filter(code=ref).first()
    )
    if a is None:
        raise E.AccountNotFound(account=ref)
    return a


def _visible(user: Any, ref: str) -> LedgerAccount:
    """An account by code or public id among those ``user`` may see."""
    pid = parse_public_id(ref)
    if pid:
        return selectors.account_get(actor=user, public_id=pid)
    return selectors.account_get(actor=user, code=ref)


_ids_lock = threading.Lock()
_ids: dict[str, int] = {}
engine.register_cache(_ids.clear)


def _account_ids(*refs: str) -> list[int]:
    """Account references (codes or public ids) → internal ids, in order.

    Codes and ids never change, so answers are cached per process; the codes not
    cached yet are looked up together (one query)."""
    _warm_codes(list(refs))
    out = []
    for ref in refs:
        found_id = _ids.get(ref)
        if found_id is None:
            found_id = _account(ref).pk  # a public id (or an unknown code: not found)
            with _ids_lock:
                _ids[ref] = found_id
        out.append(found_id)
    return out


def _warm_codes(refs: list[str]) -> None:
    """Look up, in one query, the account codes among ``refs`` not cached yet."""
    missing = [r for r in dict.fromkeys(refs) if r not in _ids and parse_public_id(r) is None]
    if missing:
        found = engine.account_ids_by_code(missing)
        with _ids_lock:
            _ids.update(found)


def _view(request: HttpRequest) -> Any:
    return _may(request, perms.VIEW)


def _may(request: HttpRequest, permission: str) -> Any:
    """The caller, who must hold ``permission`` — checked before any account or hold is
    looked up, so that a caller without it cannot tell whether one exists (403, never
    404)."""
    user = actor(request)
    access.require(user, permission)
    return user


def account_out(a: LedgerAccount) -> dict[str, Any]:
    return presenters.account_api(a, selectors.balance(a))


def transfer_out(t: dict[str, Any]) -> dict[str, Any]:
    """A booking's result (or a :func:`presenters.transfer_row`) with a decimal amount."""
    return presenters.transfer_api(t)


def freeze_out(f: AccountFreeze) -> dict[str, Any]:
    return {
        "id": f.public_id, "account": f.account.code, "kind": f.kind,
        "amount": _dec(f.amount, f.account.currency), "reason_code": f.reason_code,
        "legal_reference": f.legal_reference, "placed_at": f.placed_at,
        "expires_at": f.expires_at, "released_at": f.released_at,
        "release_reason": f.release_reason,
    }  # fmt: skip


def _spec(t: TransferIn, key: str | None, *, by_code: bool = False) -> services.TransferSpec:
    """The engine's spec.  ``by_code``: accounts not yet in this process's cache travel
    as codes and are resolved by the engine (on PostgreSQL inside the booking call)."""
    refs = (t.debit_account, t.credit_account)
    ids: list[int | None] = [None, None]
    codes: list[str | None] = [None, None]
    keyed = bool(key or t.idempotency_key)  # a key's digest is over ids: resolve them here
    if (
        not by_code
        or keyed
        or all(r in _ids for r in refs)
        or any(parse_public_id(r) for r in refs)
    ):
        ids = list(_account_ids(*refs))
    else:
        codes = list(refs)  # the engine resolves codes (in the booking call on PostgreSQL)
    return services.TransferSpec(
        debit_account_id=ids[0],
        credit_account_id=ids[1],
        debit_code=codes[0],
        credit_code=codes[1],
        amount=Money.from_decimal(t.amount, t.currency.upper(), field="amount").minor,
        currency=t.currency.upper(),
        flag="pending" if t.pending else "posted",
        timeout_seconds=t.timeout_seconds,
        kind=t.kind,
        metadata=t.metadata,
        idempotency_key=key or t.idempotency_key,
        group_id=t.group_id,
    )


def _answer(out: services.Outcome, response: HttpResponse, created: int = 201) -> Any:
    """201 (or 200) with the transfer; a refusal raises its problem; replays (of a
    booking or of a refusal) say so in ``Idempotency-Replayed``."""
    if not out.ok:
        refusal = services.refusal_error(out)
        if out.replayed:
            refusal.headers["Idempotency-Replayed"] = "true"
        raise refusal
    if out.replayed:
        response["Idempotency-Replayed"] = "true"
    assert out.transfer is not None
    return (200 if out.replayed else created), transfer_out(out.transfer)


def _book(request: HttpRequest, spec: services.TransferSpec) -> services.Outcome:
    user = actor(request)
    access.require(user, perms.TRANSFER)
    return services.book_one(
        spec, requested_by=user, now=clock.now(), business_date=clock.business_date()
    )


def _hold(request: HttpRequest, transfer_id: UUID) -> LedgerTransfer:
    return selectors.hold_get(actor=actor(request), public_id=transfer_id)


# -- accounts ----------------------------------------------------------------------
class AccountFilters(Schema):
    q: Text | None = Field(None, max_length=100)
    kind: AccountKind | None = None
    currency: Currency | None = None
    status: Annotated[str, OneOf(LedgerAccount.Status)] | None = None
    owner_id: Code | None = Field(None, max_length=64)
    after: Code | None = Field(
        None, max_length=64, description="the previous page's `next_after` (a code)"
    )
    limit: int = Field(50, ge=1, le=1000)


@router.post("/accounts", response={201: AccountOut})
def create_account(request: HttpRequest, payload: AccountIn) -> Any:
    a = services.account_open(actor=actor(request), now=clock.now(), **payload.dict())
    return 201, account_out(a)


@router.get("/accounts", response=AccountPage)
def list_accounts(request: HttpRequest, filters: Query[AccountFilters]) -> Any:
    """By account number; keyset pagination: pass ``after`` = the previous page's
    ``next_after``.  Balances are computed for the page's accounts only."""
    user = _view(request)
    f = filters.dict(exclude_none=True, exclude={"after", "limit"})
    page = selectors.accounts(actor=user, filters=f, after=filters.after, limit=filters.limit)
    return {
        "items": [presenters.account_api(a, b) for a, b in page.items],
        "next_after": page.next_after,
    }


@router.get("/accounts/{ref}", response=AccountOut)
def get_account(request: HttpRequest, ref: str) -> Any:
    return account_out(_visible(_view(request), ref))


@router.get("/accounts/{ref}/balance", response=BalanceOut)
def get_balance(request: HttpRequest, ref: str, as_of: Zoned | None = None) -> Any:
    """Balance now, or as of a past moment (ISO 8601 with offset)."""
    a = _visible(_view(request), ref)
    return presenters.api_amounts(
        selectors.balance(a, as_of=as_of).as_dict(), presenters.ACCOUNT_AMOUNTS
    )


@router.get(
    "/accounts/{ref}/statement",
    response={200: StatementOut},
    openapi_extra=download(json_too=True),
)
def get_statement(
    request: HttpRequest,
    ref: str,
    date_from: Day,
    date_to: Day,
    format: Literal["json", "csv", "xlsx"] = "json",
) -> Any:
    """Statement by business date: opening balance, each posted transfer, closing.
    ``format=csv`` downloads it."""
    a = _visible(_view(request), ref)
    st = selectors.statement(a, date_from=date_from, date_to=date_to)
    c = a.currency
    lines = [
        {**ln, "debit": _dec(ln["debit"], c), "credit": _dec(ln["credit"], c),
         "balance": _dec(ln["balance"], c)}
        for ln in st.lines
    ]  # fmt: skip
    if format in ("csv", "xlsx"):
        return exports.statement_download(a, st, format)
    return {
        "account": st.account, "currency": c, "date_from": st.date_from, "date_to": st.date_to,
        "opening": _dec(st.opening, c), "closing": _dec(st.closing, c), "lines": lines,
    }  # fmt: skip


@router.post("/accounts/{ref}/freezes", response={201: FreezeOut})
def freeze(request: HttpRequest, ref: str, payload: FreezeIn) -> Any:
    """Place a freeze: full, debit (no money out), credit (no money in) or an amount."""
    _may(request, perms.FREEZE)
    a = _account(ref)
    amount = (
        Money.from_decimal(payload.amount, a.currency, field="amount").minor
        if payload.amount is not None
        else None
    )
    f = services.freeze_place(
        actor=actor(request), account_id=a.pk, kind=payload.kind, amount=amount,
        reason_code=payload.reason_code, legal_reference=payload.legal_reference,
        expires_at=payload.expires_at, now=clock.now(),
    )  # fmt: skip
    return 201, freeze_out(f)


@router.get("/accounts/{ref}/freezes", response=list[FreezeOut])
def list_freezes(request: HttpRequest, ref: str, active: QueryBool = True) -> Any:
    a = _visible(_view(request), ref)
    qs = selectors.active_freezes(a) if active else a.freezes.order_by("-placed_at")
    return [freeze_out(f) for f in qs.select_related("account")]


@router.post("/freezes/{freeze_id}/release", response=FreezeOut)
def unfreeze(request: HttpRequest, freeze_id: UUID, payload: LedgerReasonIn) -> Any:
    f = services.freeze_release(
        actor=actor(request), freeze_id=freeze_id, reason=payload.reason, now=clock.now()
    )
    return freeze_out(f)


@router.post("/accounts/{ref}/close", response=AccountOut)
def close_account(request: HttpRequest, ref: str, payload: LedgerReasonIn) -> Any:
    _may(request, perms.ACCOUNT_MANAGE)
    a = _account(ref)
    services.account_close(actor=actor(request), account_id=a.pk, reason=payload.reason,
                           now=clock.now())  # fmt: skip
    return account_out(_account(ref))


# -- transfers -----------------------------------------------------------------------
@router.post("/transfers", response={200: TransferOut, 201: TransferOut})
def create_transfer(
    request: HttpRequest, payload: TransferIn, response: HttpResponse, key: KeyHeader = None
) -> Any:
    """Book one transfer (posted, or ``pending`` = a hold).  201 booked; 200 replay."""
    _may(request, perms.TRANSFER)
    spec = _spec(payload, key, by_code=True)
    return _answer(_book(request, spec), response)


@router.post("/transfers/batch", response=list[BatchItemOut])
def batch(request: HttpRequest, payload: BatchIn) -> Any:
    """Up to 8,190 transfers in one database transaction; a result per item, in order.
    Transfers sharing a ``group_id`` are atomic: all or none.  An item the ledger cannot
    read (an unknown account, a malformed amount) is answered with its error — and, as
    for a single transfer, not recorded as a refused attempt; its group is refused whole
    (``group_failed``)."""
    user = actor(request)
    access.require(user, perms.TRANSFER)
    items = payload.transfers
    specs: dict[int, services.TransferSpec] = {}
    early: dict[int, dict[str, Any]] = {}
    _warm_codes(
        [r for t in items for r in (t.debit_account, t.credit_account) if r]
    )  # one query for the codes not cached yet, instead of one per item
    holds = _holds([t.pending_id for t in items if t.resolve and t.pending_id])
    for i, t in enumerate(items):
        try:
            specs[i] = _batch_spec(t, holds)
        except DomainError as exc:
            early[i] = {"index": i, "ok": False, "code": exc.code, "detail": _detail(exc)}
    failed_groups = {items[i].group_id for i in early if items[i].group_id}
    for i in list(specs):
        if items[i].group_id in failed_groups:
            del specs[i]
            early[i] = {"index": i, "ok": False, "code": E.GroupFailed.code,
                        "detail": str(E.GroupFailed.title)}  # fmt: skip
    live = sorted(specs)
    outs = []
    if live:
        outs = services.book([specs[i] for i in live], requested_by=user, now=clock.now(),
                             business_date=clock.business_date())  # fmt: skip
    booked = {live[o.index]: o for o in outs}
    result = []
    for i in range(len(items)):
        if i in early:
            result.append(early[i])
            continue
        o = booked[i]
        result.append(
            {"index": i, "ok": o.ok, "code": o.code, "detail": o.detail,
             "replayed": o.replayed, "transfer": transfer_out(o.transfer) if o.transfer else None}
        )  # fmt: skip
    return result


def _holds(public_ids: list[UUID]) -> dict[UUID, tuple[int, str]]:
    """Holds named in a batch → (internal id, currency), in one query."""
    if not public_ids:
        return {}
    rows = LedgerTransfer.objects.filter(public_id__in=public_ids, flag="pending")
    return {pid: (pk, cur) for pid, pk, cur in rows.values_list("public_id", "pk", "currency")}


_TRANSFER_FIELDS = ("debit_account", "credit_account", "amount", "currency")


def _batch_spec(t: BatchTransferIn, holds: dict[UUID, tuple[int, str]]) -> services.TransferSpec:
    """A batch item's spec: a new transfer (read as ``POST /transfers`` reads one), or
    the resolution of a hold; what is missing or does not belong is a field error."""
    if t.resolve is None:
        missing = [f for f in _TRANSFER_FIELDS if not getattr(t, f)]
        errors = [FieldError(f, "required", _("This field is required.")) for f in missing]
        if t.pending_id is not None:
            errors.append(FieldError("pending_id", "resolve_only", _("Only with resolve.")))
        if errors:
            raise ValidationFailed(errors)
        # the same fields, validated by the same constraints: no second validation
        fields = {f: getattr(t, f) for f in TransferIn.model_fields}
        return _spec(TransferIn.model_construct(**fields), None)
    if t.pending_id is None:
        raise ValidationFailed.single("pending_id", "required", _("This field is required."))
    if t.pending_id not in holds:
        raise E.PendingNotFound(transfer=str(t.pending_id))
    pid, currency = holds[t.pending_id]
    if t.amount is not None and t.resolve == "void_pending":
        raise ValidationFailed.single("amount", "post_only", _("A void takes no amount."))
    amount = (
        Money.from_decimal(t.amount, currency, field="amount").minor
        if t.amount is not None
        else None
    )
    return services.TransferSpec(
        flag=t.resolve, pending_id=pid, amount=amount,
        kind=t.resolve if t.kind == "transfer" else t.kind, metadata=t.metadata,
        idempotency_key=t.idempotency_key, group_id=t.group_id,
    )  # fmt: skip


def _detail(exc: DomainError) -> str:
    if isinstance(exc, ValidationFailed):
        return "; ".join(f"{e.field}: {e.message}" for e in exc.errors)
    return str(exc.detail or exc.title)


class TransferFilters(Schema):
    account: Code | None = Field(None, max_length=64)
    kind: Code | None = Field(None, max_length=32)
    flag: Flag | None = None
    pending_state: PendingState | None = None
    currency: Currency | None = None
    date_from: Day | None = None
    date_to: Day | None = None
    amount_min: Amount | None = None
    amount_max: Amount | None = None
    metadata_key: Code | None = Field(None, max_length=64)
    metadata_value: Text | None = Field(None, max_length=200)
    idempotency_key: IdempotencyKey | None = None
    after: UUID | None = None
    limit: int = Field(100, ge=1, le=1000)


@router.get("/transfers", response=TransferPage)
def list_transfers(request: HttpRequest, filters: Query[TransferFilters]) -> Any:
    """Newest first; keyset pagination: pass ``after`` = the previous page's ``next_after``.
    ``idempotency_key`` finds the transfer booked under a key (after a timeout, say);
    ``metadata_key`` (with ``metadata_value``) finds transfers by metadata (indexed on
    PostgreSQL)."""
    user = _view(request)
    f = filters.dict(exclude_none=True)
    currency = f.get("currency") or "HKD"
    for k in ("amount_min", "amount_max"):
        if k in f:
            f[k] = Money.from_decimal(f[k], currency, field=k).minor
    after_id = None
    if filters.after:
        after_id = (
            LedgerTransfer.objects.filter(public_id=filters.after)
            .values_list("pk", flat=True)
            .first()
        )
        if after_id is None:
            raise NotFound(object="transfer", field="after")
    rows = selectors.transfers(actor=user, filters=f, after_id=after_id, limit=filters.limit)
    items = [presenters.transfer_api(presenters.transfer_row(t)) for t in rows]
    full = len(rows) == max(1, min(filters.limit, 1000))
    return {"items": items, "next_after": rows[-1].public_id if rows and full else None}


@router.get("/transfers/{transfer_id}", response=TransferOut)
def get_transfer(request: HttpRequest, transfer_id: UUID) -> Any:
    t = selectors.transfer_get(actor=_view(request), public_id=transfer_id)
    return presenters.transfer_api(presenters.transfer_row(t))


@router.post("/transfers/{transfer_id}/post", response={200: TransferOut, 201: TransferOut})
def post_pending(
    request: HttpRequest,
    transfer_id: UUID,
    payload: PostIn,
    response: HttpResponse,
    key: KeyHeader = None,
) -> Any:
    """Post a hold, in full or a smaller amount (the rest is released)."""
    _may(request, perms.TRANSFER)
    p = _hold(request, transfer_id)
    amount = (
        Money.from_decimal(payload.amount, p.currency, field="amount").minor
        if payload.amount is not None
        else None
    )
    spec = services.TransferSpec(
        flag="post_pending", pending_id=p.pk, amount=amount, kind="post_pending",
        idempotency_key=key or payload.idempotency_key,
    )  # fmt: skip
    return _answer(_book(request, spec), response)


@router.post("/transfers/{transfer_id}/void", response={200: TransferOut, 201: TransferOut})
def void_pending(
    request: HttpRequest,
    transfer_id: UUID,
    payload: VoidIn,
    response: HttpResponse,
    key: KeyHeader = None,
) -> Any:
    _may(request, perms.TRANSFER)
    spec = services.TransferSpec(
        flag="void_pending", pending_id=_hold(request, transfer_id).pk, kind="void_pending",
        idempotency_key=key or payload.idempotency_key,
    )  # fmt: skip
    return _answer(_book(request, spec), response)


class RefusedFilters(Schema):
    code: Code | None = Field(None, max_length=64)
    account: Code | None = Field(None, max_length=64)
    requested_by: Text | None = Field(None, max_length=150)
    date_from: Day | None = None
    date_to: Day | None = None
    after: int | None = Field(None, ge=1, le=2**63 - 1)
    limit: int = Field(100, ge=1, le=1000)


@router.get("/refused", response=RefusedPage)
def refused(request: HttpRequest, filters: Query[RefusedFilters]) -> Any:
    """Refused attempts, newest first: who asked for what, and why it was refused.
    Keyset pagination: pass ``after`` = the previous page's ``next_after``."""
    user = _view(request)
    f: dict[str, Any] = filters.dict(exclude_none=True)
    if filters.account:
        f["account_id"] = _visible(user, filters.account).pk
    if filters.requested_by:
        f["requested_by"] = _user_id(filters.requested_by)
    limit = max(1, min(filters.limit, 1000))
    rows = selectors.refused(actor=user, filters=f, limit=limit, after_id=filters.after)
    items = [
        {
            **r,
            "amount": _dec(r["amount"], r["currency"])
            if r["currency"] in SUPPORTED_CURRENCIES
            else None,  # what was asked for in an unknown currency is in `request`
        }
        for r in selectors.refused_rows(rows)
    ]
    return {"items": items, "next_after": rows[-1].pk if len(rows) == limit else None}


def _user_id(username: str) -> int:
    from custodesk.identity.models import User

    found = User.objects.filter(username=username).values_list("pk", flat=True).first()
    if found is None:
        raise NotFound(object="user", field="requested_by")
    return int(found)


@router.post("/verify", response=VerifyOut)
def verify(request: HttpRequest) -> Any:
    access.require(actor(request), perms.VERIFY)
    violations = [str(v) for v in anchors.verify_with_anchors()]
    return {"ok": not violations, "violations": violations}
