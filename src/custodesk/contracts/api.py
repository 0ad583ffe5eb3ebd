"""Custody member portal API (/api/v1/custody): contracts, the market's reports, the
member's own card and data.

Signing and cancelling answer like every approvable command
(``approvals.presenters.submitted_body``): 201 when applied at once (an individual
member, after its SMS code), 202 with the pending request when the enterprise's
reviewer must decide (``POST /approvals/{id}/approve`` or ``/reject``).  Another
member's (or market's) contract is 404.
"""

from typing import Annotated, Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Query, Router
from ninja.pagination import paginate

from custodesk.approvals.presenters import submitted_body
from custodesk.approvals.schemas import RequestOut, SubmittedOut
from custodesk.core import clock
from custodesk.core.apiauth import actor, auth
from custodesk.core.schema_types import OneOf, Pages

from . import selectors, selfservice, services
from .schemas import (
    BoundCardOut,
    CancelIn,
    CardChangeIn,
    ChallengeOut,
    ClosedOut,
    CodeRequestIn,
    ContractDetailOut,
    ContractFilters,
    ContractOut,
    MarketOfferOut,
    MarketStateIn,
    MarketStateOut,
    MemberRowOut,
    PhoneChangeIn,
    PhoneCodeIn,
    ProfileChangeIn,
    ProfileOut,
    SignIn,
)

router = Router(auth=auth, tags=["custody"])
Box = Annotated[str, OneOf(["initiated", "pending"])]


def _masked(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else "****"


def _challenge(ch: Any) -> dict[str, Any]:
    return {"challenge_id": ch.public_id, "expires_at": ch.expires_at, "phone": _masked(ch.phone)}


# -- contracts -------------------------------------------------------------------------
@router.get("/markets", response=list[MarketOfferOut])
def markets(request: HttpRequest) -> Any:
    """Markets offering custody contracts, with the service agreement in force."""
    return selectors.market_offers(actor=actor(request))


@router.get("/contracts", response=list[ContractOut])
@paginate(Pages, page_size=50)
def contract_list(request: HttpRequest, filters: Query[ContractFilters]) -> Any:
    rows = selectors.contracts(actor=actor(request), **filters.dict(exclude_none=True))
    return [selectors.contract_row(c) for c in rows]


@router.get("/contracts/{contract_id}", response=ContractDetailOut)
def contract_get(request: HttpRequest, contract_id: UUID) -> Any:
    return selectors.contract_detail(actor=actor(request), contract_id=contract_id)


@router.post("/contracts", response={201: SubmittedOut, 202: SubmittedOut})
def contract_sign(request: HttpRequest, payload: SignIn) -> tuple[int, Any]:
    """Sign a contract (CT-SIGN / M-SIGN).  Field rules: ``member_code`` ``duplicate``
    (signed by another member of the market), ``card_id`` ``holder_name_mismatch``,
    ``agreement_version`` ``outdated``, ``agreement_accepted`` ``required``; an
    individual gives ``challenge_id`` + ``sms_code`` (``POST /custody/codes``,
    purpose ``contract_sign``)."""
    sub = services.sign_submit(
        actor=actor(request),
        market_id=payload.market_id,
        member_code=payload.member_code,
        card_id=payload.card_id,
        currency=payload.currency,
        agreement_version=payload.agreement_version,
        agreement_accepted=payload.agreement_accepted,
        challenge_id=payload.challenge_id,
        sms_code=payload.sms_code,
        comment=payload.comment,
        now=clock.now(),
    )
    return (201 if sub.executed else 202), submitted_body(sub)


@router.post("/contracts/{contract_id}/cancel", response={201: SubmittedOut, 202: SubmittedOut})
def contract_cancel(request: HttpRequest, contract_id: UUID, payload: CancelIn) -> tuple[int, Any]:
    """Cancel a contract (CT-CANCEL / M-CANCEL).  Refused (409) with
    ``contract_has_open_trades``, ``contract_has_balance``, ``contract_in_dispute``,
    ``contract_moved_funds_today``."""
    sub = services.cancel_submit(
        actor=actor(request),
        contract_id=contract_id,
        challenge_id=payload.challenge_id,
        sms_code=payload.sms_code,
        comment=payload.comment,
        now=clock.now(),
        business_date=clock.business_date(),
    )
    return (201 if sub.executed else 202), submitted_body(sub)


@router.get("/requests", response=list[RequestOut])
def contract_requests(request: HttpRequest, box: Box = "initiated") -> Any:
    """The caller's signing / cancelling requests, or those it can review."""
    return selectors.requests(actor=actor(request), box=box, now=clock.now())


@router.get("/contracts/{contract_id}/market-state", response=MarketStateOut)
def market_state_get(request: HttpRequest, contract_id: UUID) -> Any:
    c = selectors.contract(actor=actor(request), contract_id=contract_id)
    return selectors.market_state_row(c)


@router.put("/contracts/{contract_id}/market-state", response=MarketStateOut)
def market_state_put(request: HttpRequest, contract_id: UUID, payload: MarketStateIn) -> Any:
    """The market reports the contract's unsettled trades and open disputes."""
    user = actor(request)
    services.market_state_report(
        actor=user,
        contract_id=contract_id,
        open_trades=payload.open_trades,
        open_disputes=payload.open_disputes,
        note=payload.note,
        now=clock.now(),
    )
    return selectors.market_state_row(selectors.contract(actor=user, contract_id=contract_id))


@router.get("/members", response=list[MemberRowOut])
def members(request: HttpRequest) -> Any:
    """The members with contracts in the caller's market (staff: every market)."""
    return selectors.market_members(actor=actor(request))


# -- codes ------------------------------------------------------------------------------
@router.post("/codes", response={201: ChallengeOut})
def code_send(request: HttpRequest, payload: CodeRequestIn) -> tuple[int, Any]:
    """Send the SMS code confirming a contract or a self-service change."""
    ch = services.sms_code_send(actor=actor(request), purpose=payload.purpose, now=clock.now())
    return 201, _challenge(ch)


# -- the member's own data ----------------------------------------------------------------
@router.get("/me/profile", response=ProfileOut)
def profile_get(request: HttpRequest) -> Any:
    return selectors.profile_row(selectors.member_profile(actor=actor(request)))


@router.put("/me/profile", response=ProfileOut)
def profile_put(request: HttpRequest, payload: ProfileChangeIn) -> Any:
    """SELF-INFO: the fields given are changed (SMS code ``member_info_change``)."""
    changes = payload.dict(exclude_none=True, exclude={"challenge_id", "sms_code"})
    profile = selfservice.info_change(
        actor=actor(request),
        changes=changes,
        challenge_id=payload.challenge_id,
        sms_code=payload.sms_code,
        now=clock.now(),
    )
    return selectors.profile_row(profile)


@router.get("/me/cards", response=list[BoundCardOut])
def cards(request: HttpRequest) -> Any:
    """The bound card and the replaced ones (history)."""
    return selectors.cards(actor=actor(request))


@router.post("/me/cards", response={201: BoundCardOut})
def card_change(request: HttpRequest, payload: CardChangeIn) -> tuple[int, Any]:
    """M-CARD: bind a new card (SMS code ``member_card_change`` and card authentication);
    refused (409 ``card_moved_funds_today``) on a day with a deposit or withdrawal."""
    user = actor(request)
    card = selfservice.card_change(
        actor=user,
        bank_code=payload.bank_code,
        branch_code=payload.branch_code,
        card_number=payload.card_number,
        phone=payload.phone,
        challenge_id=payload.challenge_id,
        sms_code=payload.sms_code,
        now=clock.now(),
        business_date=clock.business_date(),
    )
    return 201, next(c for c in selectors.cards(actor=user) if c["id"] == card.public_id)


@router.post("/me/phone/code", response={201: ChallengeOut})
def phone_code(request: HttpRequest, payload: PhoneCodeIn) -> tuple[int, Any]:
    """SELF-PHONE, step 1: a code to the new number."""
    ch = selfservice.phone_code_send(
        actor=actor(request), new_phone=payload.new_phone, now=clock.now()
    )
    return 201, _challenge(ch)


@router.post("/me/phone", response=ProfileOut)
def phone_change(request: HttpRequest, payload: PhoneChangeIn) -> Any:
    """SELF-PHONE, step 2: the code from the new number and the bound card's number
    (authenticated with the new number as its bank-reserved mobile)."""
    done = selfservice.phone_change(
        actor=actor(request),
        new_phone=payload.new_phone,
        card_number=payload.card_number,
        challenge_id=payload.challenge_id,
        sms_code=payload.sms_code,
        now=clock.now(),
    )
    return selectors.profile_row(done.profile)


@router.post("/me/close", response=ClosedOut)
def close(request: HttpRequest, payload: CancelIn) -> Any:
    """CLOSE: every contract cancelled and every balance zero (409
    ``member_has_contracts`` / ``member_has_balance``), SMS code ``member_close``."""
    profile = selfservice.close_registration(
        actor=actor(request),
        challenge_id=payload.challenge_id,
        sms_code=payload.sms_code,
        now=clock.now(),
    )
    return {"status": profile.status, "closed_at": profile.closed_at}
