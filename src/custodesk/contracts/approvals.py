"""Signing and cancelling a contract are approvable actions (CT-SIGN / CT-CANCEL).

The reviewer is the member organisation's checker: role ``custody_reviewer`` (falling
back to the administrators when the organisation has none), never the submitter, and
holding ``contracts.contract.review`` when deciding.  An individual member has no
second user: its requests apply at once (the SMS code, checked before submission, is
its confirmation).  An organisation may still configure its own flow for these actions.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from django.utils.translation import gettext_lazy as _
from pydantic import BaseModel, Field

from custodesk.approvals.registry import ActionType, DefaultLevel, Preview, register
from custodesk.core import clock
from custodesk.identity.models import Organisation, User
from custodesk.members.models import MemberProfile, MemberType

from . import permissions as perms
from . import services
from .models import Contract

REVIEWER_ROLE = "custody_reviewer"


class SignPayload(BaseModel):
    market_id: UUID
    member_code: str = Field(max_length=32)
    card_id: UUID
    currency: str = Field(max_length=3)
    agreement_version: int
    agreement_accepted: bool
    accepted_at: dt.datetime


class CancelPayload(BaseModel):
    contract_id: UUID


def member_review(org: Organisation) -> list[DefaultLevel] | None:
    """Enterprise: one reviewer (not the submitter); individual: applied at once."""
    member_type = (
        MemberProfile.objects.filter(organisation=org).values_list("member_type", flat=True).first()
    )
    if member_type == MemberType.INDIVIDUAL:
        return []
    return [DefaultLevel(role_codes=(REVIEWER_ROLE,), name="reviewer")]


# -- signing ---------------------------------------------------------------------------
def _plan(actor: User, payload: SignPayload) -> services.SignPlan:
    return services.sign_check(
        actor=actor,
        market_id=payload.market_id,
        member_code=payload.member_code,
        card_id=payload.card_id,
        currency=payload.currency,
        agreement_version=payload.agreement_version,
        agreement_accepted=payload.agreement_accepted,
    )


def check_sign(*, actor: User, payload: SignPayload, now: dt.datetime) -> Preview:
    plan = _plan(actor, payload)
    return Preview(
        object_type="market",
        object_id=str(plan.market.public_id),
        dedup_key=f"sign:{plan.market.public_id}",
        before=None,
        after={
            "member": plan.profile.name,
            "market": f"{plan.market.code} {plan.market.name}",
            "member_code": plan.member_code,
            "card": plan.card.masked_number,
            "currency": plan.currency,
            "agreement_version": plan.agreement_version,
            "agreement_accepted_at": payload.accepted_at.isoformat(),
        },
    )


def execute_sign(
    *, initiator: User, approver: User | None, payload: SignPayload, request: Any, now: dt.datetime
) -> dict[str, Any]:
    contract = services.sign_execute(
        initiator=initiator,
        approver=approver,
        plan=_plan(initiator, payload),
        accepted_at=payload.accepted_at,
        request_id=str(request.public_id),
        now=now,
    )
    return {
        "contract_id": str(contract.public_id),
        "market": contract.market.code,
        "member_code": contract.member_code,
        "sub_account_id": contract.sub_ledger_account_id,
    }


def describe_sign(*, payload: SignPayload) -> str:
    from custodesk.markets.models import Market

    market = Market.objects.filter(public_id=payload.market_id).first()
    return str(
        _("Sign a contract with %(market)s as member %(code)s")
        % {"market": market.code if market else "?", "code": payload.member_code}
    )


# -- cancelling -------------------------------------------------------------------------
def check_cancel(*, actor: User, payload: CancelPayload, now: dt.datetime) -> Preview:
    # the engine gives no business date: the interfaces' clock says which day it is
    c = services.cancel_check(
        actor=actor, contract_id=payload.contract_id, now=now, business_date=clock.business_date()
    )
    return Preview(
        object_type="contract",
        object_id=str(c.public_id),
        dedup_key=f"cancel:{c.public_id}",
        before=services.contract_state(c),
        after={**services.contract_state(c), "status": Contract.Status.CANCELLED},
    )


def execute_cancel(
    *,
    initiator: User,
    approver: User | None,
    payload: CancelPayload,
    request: Any,
    now: dt.datetime,
) -> dict[str, Any]:
    contract = (
        Contract.objects.select_for_update()
        .select_related("market", "member__organisation", "card")
        .get(public_id=payload.contract_id)
    )
    services.cancel_execute(
        initiator=initiator,
        approver=approver,
        contract=contract,
        request_id=str(request.public_id),
        now=now,
    )
    return {"contract_id": str(contract.public_id), "status": contract.status}


def describe_cancel(*, payload: CancelPayload) -> str:
    c = Contract.objects.select_related("market").filter(public_id=payload.contract_id).first()
    return str(
        _("Cancel the contract with %(market)s (member %(code)s)")
        % {"market": c.market.code if c else "?", "code": c.member_code if c else "?"}
    )


register(
    ActionType(
        code=services.SIGN,
        label=_("Sign a contract"),
        payload=SignPayload,
        check=check_sign,
        execute=execute_sign,
        describe=describe_sign,
        default_levels=member_review,
        permission=perms.CONTRACT_SUBMIT,
        approver_permission=perms.CONTRACT_REVIEW,
    )
)
register(
    ActionType(
        code=services.CANCEL,
        label=_("Cancel a contract"),
        payload=CancelPayload,
        check=check_cancel,
        execute=execute_cancel,
        describe=describe_cancel,
        default_levels=member_review,
        permission=perms.CONTRACT_SUBMIT,
        approver_permission=perms.CONTRACT_REVIEW,
    )
)
