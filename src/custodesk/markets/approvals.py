"""Creating, editing, suspending and reactivating a market are approvable actions.

Default policy (no flow configured): one checker of the staff organisation holding
``markets.market.manage`` — a ``market_officer`` or an administrator — and never the
initiator.  A flow configured for the action type replaces it (e.g. two checkers)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext_lazy as _

from custodesk.approvals.registry import ActionType, DefaultLevel, Preview, register
from custodesk.banks.models import Branch
from custodesk.identity.models import Organisation, User

from . import permissions as perms
from . import services
from .models import Market
from .payloads import MarketCreate, MarketStatusChange, MarketUpdate
from .selectors import market_by_id, market_state

MARKET_CREATE = "markets.market_create"
MARKET_UPDATE = "markets.market_update"
MARKET_SUSPEND = "markets.market_suspend"
MARKET_REACTIVATE = "markets.market_reactivate"

OFFICER_ROLE = "market_officer"


def one_checker(org: Organisation) -> list[DefaultLevel]:
    return [DefaultLevel(role_codes=(OFFICER_ROLE, "admin"), name="market officer")]


def _request_id(request: Any) -> str | None:
    return str(request.public_id) if request is not None else None


def _market_label(market_id: Any) -> str:
    market = market_by_id(market_id)
    return str(market) if market else str(market_id)


def _result(market: Market) -> dict[str, Any]:
    return {"market_id": str(market.public_id), "code": market.code, "status": market.status}


# -- create --------------------------------------------------------------------------
def check_create(*, actor: User, payload: MarketCreate, now: dt.datetime) -> Preview:
    after = services.market_create_check(actor=actor, data=payload)
    return Preview(
        object_type="market", object_id=payload.code, dedup_key=payload.code, after=after
    )


def execute_create(
    *, initiator: User, approver: User | None, payload: MarketCreate, request: Any, now: dt.datetime
) -> dict[str, Any]:
    market = services.market_create_execute(
        actor=approver or initiator, data=payload, approval_request_id=_request_id(request), now=now
    )
    return _result(market)


def describe_create(*, payload: MarketCreate) -> str:
    return str(
        _("Create trading market %(code)s %(name)s") % {"code": payload.code, "name": payload.name}
    )


# -- update --------------------------------------------------------------------------
def _state_key(field: str) -> str:
    return "summary_branch_code" if field == "summary_branch" else field


def _state_value(value: Any) -> Any:
    """A changed field as ``market_state`` shows it (a branch by its code)."""
    if isinstance(value, Branch):
        return value.code
    return "" if value is None else value


def check_update(*, actor: User, payload: MarketUpdate, now: dt.datetime) -> Preview:
    market, changes = services.market_update_check(actor=actor, data=payload)
    before = market_state(market)
    after = before | {_state_key(k): _state_value(v) for k, v in changes.items()}
    return Preview(
        object_type="market",
        object_id=str(market.public_id),
        dedup_key=str(market.public_id),
        before=before,
        after=after,
    )


def execute_update(
    *, initiator: User, approver: User | None, payload: MarketUpdate, request: Any, now: dt.datetime
) -> dict[str, Any]:
    market = services.market_update_execute(
        actor=approver or initiator,
        initiator=initiator,
        data=payload,
        approval_request_id=_request_id(request),
        now=now,
    )
    return _result(market)


def describe_update(*, payload: MarketUpdate) -> str:
    return str(_("Edit trading market %(market)s") % {"market": _market_label(payload.market_id)})


# -- suspend / reactivate ----------------------------------------------------------------
def _status_action(verb: str, code: str, label: Any, describe_text: Any) -> ActionType:
    def check(*, actor: User, payload: MarketStatusChange, now: dt.datetime) -> Preview:
        market = services.market_status_check(actor=actor, data=payload, verb=verb)
        target = Market.Status.SUSPENDED if verb == "suspend" else Market.Status.ACTIVE
        return Preview(
            object_type="market",
            object_id=str(market.public_id),
            # one pending status change per market
            dedup_key=f"{market.public_id}:status",
            before={"code": market.code, "status": market.status},
            after={"code": market.code, "status": target, "reason": payload.reason},
        )

    def execute(
        *,
        initiator: User,
        approver: User | None,
        payload: MarketStatusChange,
        request: Any,
        now: dt.datetime,
    ) -> dict[str, Any]:
        market = services.market_status_execute(
            actor=approver or initiator,
            initiator=initiator,
            data=payload,
            verb=verb,
            approval_request_id=_request_id(request),
            now=now,
        )
        return _result(market)

    def describe(*, payload: MarketStatusChange) -> str:
        return str(describe_text % {"market": _market_label(payload.market_id)})

    return ActionType(
        code=code,
        label=label,
        payload=MarketStatusChange,
        check=check,
        execute=execute,
        describe=describe,
        default_levels=one_checker,
        permission=perms.MARKET_MANAGE,
        approver_permission=perms.MARKET_MANAGE,
    )


register(
    ActionType(
        code=MARKET_CREATE,
        label=_("Create a trading market"),
        payload=MarketCreate,
        check=check_create,
        execute=execute_create,
        describe=describe_create,
        default_levels=one_checker,
        permission=perms.MARKET_MANAGE,
        approver_permission=perms.MARKET_MANAGE,
    )
)
register(
    ActionType(
        code=MARKET_UPDATE,
        label=_("Edit a trading market"),
        payload=MarketUpdate,
        check=check_update,
        execute=execute_update,
        describe=describe_update,
        default_levels=one_checker,
        permission=perms.MARKET_MANAGE,
        approver_permission=perms.MARKET_MANAGE,
    )
)
register(
    _status_action(
        "suspend",
        MARKET_SUSPEND,
        _("Suspend a trading market"),
        _("Suspend trading market %(market)s"),
    )
)
register(
    _status_action(
        "reactivate",
        MARKET_REACTIVATE,
        _("Reactivate a trading market"),
        _("Reactivate trading market %(market)s"),
    )
)
