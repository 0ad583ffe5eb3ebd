"""A change of an account's trading permissions is an approvable action (ACC-PERM).

With no flow configured it follows the default flow (one level of the organisation's
administrators, the initiator never approving its own request): dual control by
policy.  An approval flow for ``brokerage.trading_permissions_change`` may make it
stricter, or automatic.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from pydantic import BaseModel, Field

from custodesk.approvals.registry import ActionType, Preview, register
from custodesk.identity.models import User

from . import permissions_list as perms
from .services import permissions as svc

PERMISSIONS_CHANGE = "brokerage.trading_permissions_change"


class ChangeItem(BaseModel):
    product: str = Field(max_length=32)
    enabled: bool
    effective_from: dt.date | None = None


class PermissionsChange(BaseModel):
    account: str = Field(max_length=16)
    changes: list[ChangeItem] = Field(max_length=50)
    reason: str = Field(max_length=400)


def _changes(payload: PermissionsChange) -> list[svc.PermissionChange]:
    return [svc.PermissionChange(c.product, c.enabled, c.effective_from) for c in payload.changes]


def _today(now: dt.datetime) -> dt.date:
    return timezone.localtime(now).date()


def check(*, actor: User, payload: PermissionsChange, now: dt.datetime) -> Preview:
    checked = svc.permissions_change_check(
        actor=actor,
        account_number=payload.account,
        changes=_changes(payload),
        reason=payload.reason,
        today=_today(now),
    )
    return Preview(
        object_type="brokerage_account",
        object_id=str(checked.account.public_id),
        dedup_key=f"permissions:{checked.account.number}",
        before={"account": checked.account.number, "permissions": checked.before},
        after={"account": checked.account.number, "permissions": checked.after},
    )


def execute(
    *,
    initiator: User,
    approver: User | None,
    payload: PermissionsChange,
    request: Any,
    now: dt.datetime,
) -> dict[str, Any]:
    account = svc.permissions_change_apply(
        actor=approver or initiator,
        account_number=payload.account,
        changes=_changes(payload),
        reason=payload.reason,
        approval_request_id=str(request.public_id),
        now=now,
        today=_today(now),
    )
    return {"account": account.number, "products": [c.product for c in payload.changes]}


def describe(*, payload: PermissionsChange) -> str:
    parts = ", ".join(f"{'+' if c.enabled else '−'}{c.product}" for c in payload.changes)
    return str(
        _("Trading permissions of account %(account)s: %(changes)s")
        % {"account": payload.account, "changes": parts}
    )


register(
    ActionType(
        code=PERMISSIONS_CHANGE,
        label=_("Change trading permissions"),
        payload=PermissionsChange,
        check=check,
        execute=execute,
        describe=describe,
        permission=perms.PERMISSION_MANAGE,
    )
)
