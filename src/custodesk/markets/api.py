"""Trading markets API (MKT-ADMIN): staff manage every market; a market's own users
read their own market only (any other is 404).  Create, edit, suspend and reactivate
are approvable: 202 with the pending request, or 200 when a flow applies them at once."""

from typing import Annotated, Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Path, Query, Router
from ninja.pagination import paginate

from custodesk.approvals import services as approvals
from custodesk.approvals.presenters import submitted_body
from custodesk.approvals.schemas import SubmittedOut
from custodesk.core import clock
from custodesk.core.apiauth import actor, auth
from custodesk.core.errors import NotFound
from custodesk.core.schema_types import Pages

from . import selectors, services
from .approvals import MARKET_CREATE, MARKET_REACTIVATE, MARKET_SUSPEND, MARKET_UPDATE
from .schemas import (
    AgreementIn,
    AgreementOut,
    AgreementTextOut,
    MarketCreateIn,
    MarketFieldsIn,
    MarketFilters,
    MarketOut,
    OptionalReasonIn,
    ReasonIn,
)

router = Router(auth=auth, tags=["markets"])
SUBMITTED = {200: SubmittedOut, 202: SubmittedOut}


def _submit(
    request: HttpRequest, action_type: str, payload: dict[str, Any], comment: str = ""
) -> tuple[int, dict[str, Any]]:
    sub = approvals.submit(
        actor=actor(request),
        action_type=action_type,
        payload=payload,
        comment=comment,
        now=clock.now(),
    )
    return (200 if sub.executed else 202), submitted_body(sub)


@router.get("", response=list[MarketOut], operation_id="markets_list")
@paginate(Pages, page_size=50)
def list_markets(request: HttpRequest, filters: Query[MarketFilters]) -> Any:
    """Markets by code: every one for staff, the own one for a market's users."""
    return selectors.market_list(actor=actor(request), status=filters.status, q=filters.q)


@router.post("", response=SUBMITTED, operation_id="markets_create")
def create_market(request: HttpRequest, payload: MarketCreateIn) -> tuple[int, dict[str, Any]]:
    """Create a market: its organisation and first administrator (whose sign-in goes
    through the outbox), its summary and suspense ledger accounts in each currency, and
    version 1 of its service agreement — once a market officer approves."""
    return _submit(request, MARKET_CREATE, payload.dict())


@router.get("/{market_id}", response=MarketOut, operation_id="markets_get")
def get_market(request: HttpRequest, market_id: UUID) -> Any:
    return selectors.market_get(actor=actor(request), market_id=market_id)


@router.put("/{market_id}", response=SUBMITTED, operation_id="markets_update")
def update_market(
    request: HttpRequest, market_id: UUID, payload: MarketFieldsIn
) -> tuple[int, dict[str, Any]]:
    """Edit a market (currencies may be added, not removed; the code never changes)."""
    return _submit(request, MARKET_UPDATE, {"market_id": str(market_id), **payload.dict()})


@router.post("/{market_id}/suspend", response=SUBMITTED, operation_id="markets_suspend")
def suspend_market(
    request: HttpRequest, market_id: UUID, payload: ReasonIn
) -> tuple[int, dict[str, Any]]:
    """Suspend an active market (reason required): members can no longer sign with it."""
    body = {"market_id": str(market_id), "reason": payload.reason}
    return _submit(request, MARKET_SUSPEND, body, comment=payload.reason)


@router.post("/{market_id}/reactivate", response=SUBMITTED, operation_id="markets_reactivate")
def reactivate_market(
    request: HttpRequest, market_id: UUID, payload: OptionalReasonIn | None = None
) -> tuple[int, dict[str, Any]]:
    reason = payload.reason if payload else ""
    body = {"market_id": str(market_id), "reason": reason}
    return _submit(request, MARKET_REACTIVATE, body, comment=reason)


@router.get(
    "/{market_id}/agreements", response=list[AgreementOut], operation_id="markets_agreements"
)
def list_agreements(request: HttpRequest, market_id: UUID) -> Any:
    """Every version of the market's service agreement, newest first."""
    market = selectors.market_get(actor=actor(request), market_id=market_id)
    return list(selectors.agreements(market))


@router.post(
    "/{market_id}/agreements", response={201: AgreementTextOut}, operation_id="markets_publish"
)
def publish_agreement(
    request: HttpRequest, market_id: UUID, payload: AgreementIn
) -> tuple[int, Any]:
    """Publish the next version, in force from now (members signing later accept it)."""
    agreement = services.agreement_publish(
        actor=actor(request),
        market_id=market_id,
        title=payload.title,
        body=payload.body,
        now=clock.now(),
    )
    return 201, agreement


@router.get(
    "/{market_id}/agreements/{version}",
    response=AgreementTextOut,
    operation_id="markets_agreement",
)
def get_agreement(
    request: HttpRequest, market_id: UUID, version: Annotated[int, Path(ge=1, le=1_000_000)]
) -> Any:
    market = selectors.market_get(actor=actor(request), market_id=market_id)
    agreement = selectors.agreements(market).filter(version=version).first()
    if agreement is None:
        raise NotFound(object="service_agreement")
    return agreement
