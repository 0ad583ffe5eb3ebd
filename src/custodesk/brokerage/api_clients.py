"""Staff API of clients and accounts (brokerage-core): registration and edits, the
detail and its tabs, opening, security actions, deposits/withdrawals, agents, related
persons and app logins.  Mounted under ``/api/v1/brokerage``.

Approvable commands (opening, freezing, deposits, withdrawals) answer 200 when applied
at once or 202 with the pending approval request (``approvals.presenters``)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Query, Router

from custodesk.approvals import services as approval_services
from custodesk.approvals.presenters import submitted_body
from custodesk.approvals.schemas import SubmittedOut
from custodesk.core import clock
from custodesk.core.apiauth import actor, auth
from custodesk.core.errors import ValidationFailed

from . import presenters_core as present
from . import services
from .approvals import ACCOUNT_FREEZE, ACCOUNT_OPEN, CASH_DEPOSIT, CASH_WITHDRAWAL, CLIENT_FREEZE
from .schemas_core import (
    BrokerAccountDetailOut,
    BrokerAgentIn,
    BrokerAgentOut,
    BrokerAgentUpdateIn,
    BrokerAppLoginIn,
    BrokerAppLoginOut,
    BrokerAssetsOut,
    BrokerCashIn,
    BrokerClientDetailOut,
    BrokerClientIn,
    BrokerClientOut,
    BrokerClientUpdateIn,
    BrokerCloseClientIn,
    BrokerLoginDeviceOut,
    BrokerOpenAccountIn,
    BrokerOperationOut,
    BrokerReasonIn,
    BrokerRelatedIn,
    BrokerRelatedOut,
    BrokerRelatedUpdateIn,
)
from .selectors import detail

router = Router(auth=auth, tags=["brokerage: clients and accounts"])
SUBMITTED = {200: SubmittedOut, 202: SubmittedOut}


def _submit(
    request: HttpRequest, action_type: str, payload: dict[str, Any], comment: str = ""
) -> tuple[int, dict[str, Any]]:
    sub = approval_services.submit(
        actor=actor(request),
        action_type=action_type,
        payload=payload,
        comment=comment,
        now=clock.now(),
    )
    return (200 if sub.executed else 202), submitted_body(sub)


def _client(request: HttpRequest, client_no: str) -> Any:
    return detail.client_by_number(actor=actor(request), client_no=client_no)


def _account(request: HttpRequest, number: str) -> Any:
    return detail.account_by_number(actor=actor(request), number=number)


# -- clients -----------------------------------------------------------------------
@router.post("/clients", response={201: BrokerClientOut})
def client_create(request: HttpRequest, payload: BrokerClientIn) -> tuple[int, Any]:
    """Register a client (individual, corporate, or joint naming its holders)."""
    c = services.client_create(actor=actor(request), now=clock.now(), **payload.dict())
    return 201, c


@router.get("/clients", response=list[BrokerClientOut])
def client_search(request: HttpRequest, q: str = Query("", max_length=100)) -> list[Any]:
    """Clients by client number, name (English/Chinese, partial), ID number or phone (50)."""
    return detail.clients_search(actor=actor(request), q=q)


@router.get("/clients/{client_no}", response=BrokerClientDetailOut)
def client_get(request: HttpRequest, client_no: str) -> dict[str, Any]:
    return present.client_detail(_client(request, client_no), clock.now())


@router.patch("/clients/{client_no}", response=BrokerClientOut)
def client_update(request: HttpRequest, client_no: str, payload: BrokerClientUpdateIn) -> Any:
    """Edit a client's data: only the fields sent change; a reason is required."""
    c = _client(request, client_no)
    changes = payload.dict(exclude_unset=True)
    reason = changes.pop("reason")
    return services.client_update(
        actor=actor(request), client_id=c.public_id, changes=changes, reason=reason, now=clock.now()
    )


@router.post("/clients/{client_no}/freeze", response=SUBMITTED)
def client_freeze(request: HttpRequest, client_no: str, payload: BrokerReasonIn) -> tuple[int, Any]:
    """Freeze a client: its app sign-in is refused (approvable)."""
    c = _client(request, client_no)
    return _submit(
        request,
        CLIENT_FREEZE,
        {"client_id": str(c.public_id), "reason": payload.reason},
        payload.reason,
    )


@router.post("/clients/{client_no}/unfreeze", response=BrokerClientOut)
def client_unfreeze(request: HttpRequest, client_no: str, payload: BrokerReasonIn) -> Any:
    c = _client(request, client_no)
    return services.client_unfreeze(
        actor=actor(request), client_id=c.public_id, reason=payload.reason, now=clock.now()
    )


@router.post("/clients/{client_no}/close", response=BrokerClientOut)
def client_close(request: HttpRequest, client_no: str, payload: BrokerCloseClientIn) -> Any:
    """Close a client: `permanent` (may register again at once) or `normal` (after 3 months)."""
    c = _client(request, client_no)
    return services.client_close(
        actor=actor(request),
        client_id=c.public_id,
        kind=payload.kind,
        reason=payload.reason,
        now=clock.now(),
    )


@router.post("/clients/{client_no}/accounts", response=SUBMITTED)
def account_open(
    request: HttpRequest, client_no: str, payload: BrokerOpenAccountIn
) -> tuple[int, Any]:
    """Open a trading account (approvable); `main_account` makes it a sub-account."""
    c = _client(request, client_no)
    body: dict[str, Any] = {
        "client_id": str(c.public_id),
        "account_type": payload.account_type,
        "base_currency": payload.base_currency,
        "currencies": payload.currencies,
        "remark": payload.remark,
    }
    if payload.main_account:
        main = c.accounts.filter(number=payload.main_account).first()
        if main is None:
            raise ValidationFailed.single(
                "main_account", "not_found", "No such account of this client."
            )
        body["parent_id"] = str(main.public_id)
    return _submit(request, ACCOUNT_OPEN, body, payload.remark)


@router.get("/clients/{client_no}/operations", response=list[BrokerOperationOut])
def client_operations(request: HttpRequest, client_no: str) -> list[Any]:
    """Operation records of the client, its accounts, agents and related persons (200)."""
    return list(detail.operations(actor=actor(request), client=_client(request, client_no)))


@router.get("/clients/{client_no}/login-devices", response=list[BrokerLoginDeviceOut])
def client_login_devices(request: HttpRequest, client_no: str) -> list[Any]:
    return detail.login_devices(actor=actor(request), client=_client(request, client_no))


# -- app login ---------------------------------------------------------------------
@router.post("/clients/{client_no}/app-login", response={201: BrokerAppLoginOut})
def app_login_create(
    request: HttpRequest, client_no: str, payload: BrokerAppLoginIn
) -> tuple[int, Any]:
    """Give the client an app login; a random password is sent to the client by SMS."""
    c = _client(request, client_no)
    login = services.app_login_create(
        actor=actor(request), client_id=c.public_id, login_name=payload.login_name, now=clock.now()
    )
    return 201, present.app_login(login, clock.now())


def _login_action(fn: Any, request: HttpRequest, client_no: str, reason: str) -> Any:
    c = _client(request, client_no)
    login = fn(actor=actor(request), client_id=c.public_id, reason=reason, now=clock.now())
    return present.app_login(login, clock.now())


@router.post("/clients/{client_no}/app-login/reset-password", response=BrokerAppLoginOut)
def app_login_reset(request: HttpRequest, client_no: str, payload: BrokerReasonIn) -> Any:
    """A new random password, sent to the client (never shown); must be changed."""
    return _login_action(services.app_login_reset_password, request, client_no, payload.reason)


@router.post("/clients/{client_no}/app-login/lock", response=BrokerAppLoginOut)
def app_login_lock(request: HttpRequest, client_no: str, payload: BrokerReasonIn) -> Any:
    return _login_action(services.app_login_lock, request, client_no, payload.reason)


@router.post("/clients/{client_no}/app-login/unlock", response=BrokerAppLoginOut)
def app_login_unlock(request: HttpRequest, client_no: str, payload: BrokerReasonIn) -> Any:
    """Unlock a locked login or one locked out by wrong passwords (resets the counter)."""
    return _login_action(services.app_login_unlock, request, client_no, payload.reason)


# -- agents and related persons ----------------------------------------------------
@router.get("/clients/{client_no}/agents", response=list[BrokerAgentOut])
def agent_list(request: HttpRequest, client_no: str) -> list[Any]:
    return detail.agents(actor=actor(request), client=_client(request, client_no))


@router.post("/clients/{client_no}/agents", response={201: BrokerAgentOut})
def agent_create(request: HttpRequest, client_no: str, payload: BrokerAgentIn) -> tuple[int, Any]:
    c = _client(request, client_no)
    return 201, services.agent_create(
        actor=actor(request), client_id=c.public_id, data=payload.dict(), now=clock.now()
    )


@router.patch("/agents/{agent_id}", response=BrokerAgentOut)
def agent_update(request: HttpRequest, agent_id: UUID, payload: BrokerAgentUpdateIn) -> Any:
    changes = payload.dict(exclude_unset=True)
    reason = changes.pop("reason")
    return services.agent_update(
        actor=actor(request), agent_id=agent_id, changes=changes, reason=reason, now=clock.now()
    )


@router.post("/agents/{agent_id}/revoke", response=BrokerAgentOut)
def agent_revoke(request: HttpRequest, agent_id: UUID, payload: BrokerReasonIn) -> Any:
    return services.agent_revoke(
        actor=actor(request), agent_id=agent_id, reason=payload.reason, now=clock.now()
    )


@router.get("/clients/{client_no}/related-persons", response=list[BrokerRelatedOut])
def related_list(request: HttpRequest, client_no: str) -> list[Any]:
    people = detail.related_persons(actor=actor(request), client=_client(request, client_no))
    return [present.related(p) for p in people]


@router.post("/clients/{client_no}/related-persons", response={201: BrokerRelatedOut})
def related_create(
    request: HttpRequest, client_no: str, payload: BrokerRelatedIn
) -> tuple[int, Any]:
    c = _client(request, client_no)
    p = services.related_create(
        actor=actor(request), client_id=c.public_id, data=payload.dict(), now=clock.now()
    )
    return 201, present.related(p)


@router.patch("/related-persons/{person_id}", response=BrokerRelatedOut)
def related_update(request: HttpRequest, person_id: UUID, payload: BrokerRelatedUpdateIn) -> Any:
    changes = payload.dict(exclude_unset=True)
    reason = changes.pop("reason")
    p = services.related_update(
        actor=actor(request), person_id=person_id, changes=changes, reason=reason, now=clock.now()
    )
    return present.related(p)


@router.post("/related-persons/{person_id}/delete", response={204: None})
def related_delete(
    request: HttpRequest, person_id: UUID, payload: BrokerReasonIn
) -> tuple[int, None]:
    services.related_delete(
        actor=actor(request), person_id=person_id, reason=payload.reason, now=clock.now()
    )
    return 204, None


# -- accounts ----------------------------------------------------------------------
@router.get("/accounts/{number}", response=BrokerAccountDetailOut)
def account_get(request: HttpRequest, number: str) -> dict[str, Any]:
    """An account with its client's data and the client's linked accounts."""
    return present.account_detail(_account(request, number))


@router.get("/accounts/{number}/assets", response=BrokerAssetsOut)
def account_assets(request: HttpRequest, number: str) -> dict[str, Any]:
    """Cash per currency (ledger) and the deposits/withdrawals, pending ones first."""
    a = _account(request, number)
    return present.assets(detail.assets(actor=actor(request), account=a, now=clock.now()))


@router.post("/accounts/{number}/freeze", response=SUBMITTED)
def account_freeze(request: HttpRequest, number: str, payload: BrokerReasonIn) -> tuple[int, Any]:
    """Freeze an account (approvable): no trading, no money in or out; ledger frozen."""
    a = _account(request, number)
    return _submit(
        request,
        ACCOUNT_FREEZE,
        {"account_id": str(a.public_id), "reason": payload.reason},
        payload.reason,
    )


@router.post("/accounts/{number}/unfreeze", response=BrokerAccountDetailOut)
def account_unfreeze(request: HttpRequest, number: str, payload: BrokerReasonIn) -> dict[str, Any]:
    a = _account(request, number)
    services.account_unfreeze(
        actor=actor(request), account_id=a.public_id, reason=payload.reason, now=clock.now()
    )
    return present.account_detail(_account(request, number))


@router.post("/accounts/{number}/close", response=BrokerAccountDetailOut)
def account_close(request: HttpRequest, number: str, payload: BrokerReasonIn) -> dict[str, Any]:
    """Close an account: only with zero cash and nothing pending; its number is never reused."""
    a = _account(request, number)
    services.account_close(
        actor=actor(request), account_id=a.public_id, reason=payload.reason, now=clock.now()
    )
    return present.account_detail(_account(request, number))


def _cash(request: HttpRequest, number: str, action: str, payload: BrokerCashIn) -> tuple[int, Any]:
    a = _account(request, number)
    return _submit(
        request, action, {"account_id": str(a.public_id), **payload.dict()}, payload.remark
    )


@router.post("/accounts/{number}/deposits", response=SUBMITTED)
def account_deposit(request: HttpRequest, number: str, payload: BrokerCashIn) -> tuple[int, Any]:
    """Record a client deposit (dual-controlled; booked in the ledger when approved)."""
    return _cash(request, number, CASH_DEPOSIT, payload)


@router.post("/accounts/{number}/withdrawals", response=SUBMITTED)
def account_withdrawal(request: HttpRequest, number: str, payload: BrokerCashIn) -> tuple[int, Any]:
    """Record a client withdrawal (dual-controlled; within the available cash)."""
    return _cash(request, number, CASH_WITHDRAWAL, payload)
