"""The maker–checker engine: submit, approve, reject, transfer, CC, withdraw, expire.

Every decision locks the request row first (``SELECT … FOR UPDATE``; SQLite
serialises writers), so two approvers racing on the last level execute the
command exactly once, and an approve racing a reject has one winner.  The final
approval re-checks the command's preconditions and executes it in the same
transaction; if that fails, the whole decision rolls back and the caller gets
``precondition_failed`` naming the cause.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _
from pydantic import ValidationError as PydanticValidationError

from custodesk.audit.services import record_many
from custodesk.core import access
from custodesk.core.errors import (
    DomainError,
    FieldError,
    NotFound,
    ValidationFailed,
)
from custodesk.identity.models import Organisation, User

from . import locks, registry
from .batch import approve_many, audit_row
from .errors import (
    CannotCc,
    CannotTransfer,
    DuplicatePendingRequest,
    InitiatorCannotApprove,
    NotAnApprover,
    NotTheInitiator,
    PreconditionFailed,
    RequestExpired,
    RequestNotPending,
)
from .models import (
    ApprovalRequest,
    RequestAction,
    RequestAssignee,
    RequestLevel,
)
from .policy import can_view, could_approve, is_eligible, resolve_policy
from .policy import memoised as policies_memoised  # noqa: F401 - for submit_within's callers


# -- helpers -------------------------------------------------------------------
def _validate_payload(action: registry.ActionType, payload: dict[str, Any]) -> Any:
    try:
        return action.payload.model_validate(payload)
    except PydanticValidationError as exc:
        raise ValidationFailed(
            FieldError("payload." + ".".join(str(p) for p in err["loc"]), err["type"], err["msg"])
            for err in exc.errors()
        ) from None


def _audit(
    req: ApprovalRequest,
    *,
    actor: User | None,
    action: str,
    now: dt.datetime,
    before: Any = None,
    after: Any = None,
    reason: str = "",
) -> None:
    row = audit_row(
        req, actor=actor, action=action, now=now, before=before, after=after, reason=reason
    )
    record_many([row])


def _state(req: ApprovalRequest) -> dict[str, Any]:
    return {"status": req.status, "level": req.current_level, "of": req.level_count}


def _locked(actor: User, request_id: Any) -> ApprovalRequest:
    req = locks.request_for_decision(request_id)
    if req is None or not can_view(actor, req):
        raise NotFound(object="approval_request")
    return req


def _require_decidable(actor: User, req: ApprovalRequest, now: dt.datetime) -> RequestLevel:
    if req.status != ApprovalRequest.Status.PENDING:
        raise RequestNotPending(status=req.status)
    if req.expires_at <= now:
        raise RequestExpired(expires_at=req.expires_at.isoformat())
    level = RequestLevel.objects.get(request=req, position=req.current_level)
    if level.forbid_initiator and actor.pk == req.initiator_id:
        raise InitiatorCannotApprove()
    if not is_eligible(actor, req, req.current_level):
        raise NotAnApprover(level=req.current_level)
    return level


def _execute(
    req: ApprovalRequest, action: registry.ActionType, *, approver: User | None, now: dt.datetime
) -> dict[str, Any]:
    """Re-check and execute; a failure becomes PreconditionFailed (the caller rolls back)."""
    payload = action.payload.model_validate(req.payload)
    try:
        action.check(actor=req.initiator, payload=payload, now=now)
        result = action.execute(
            initiator=req.initiator, approver=approver, payload=payload, request=req, now=now
        )
    except DomainError as exc:
        raise PreconditionFailed(
            cause=exc.code, cause_title=str(exc.detail or exc.title), **exc.data
        ) from exc
    req.status = ApprovalRequest.Status.APPROVED
    req.decided_at = now
    req.result = result
    req.save(update_fields=["status", "decided_at", "result"])
    RequestAction.objects.create(
        request=req, kind=RequestAction.Kind.EXECUTE, actor=approver, at=now
    )
    _audit(req, actor=approver, action="execute", after={"result": result}, now=now)
    return result


# -- submit ----------------------------------------------------------------------
@dataclass
class Submitted:
    request: ApprovalRequest
    executed: bool
    result: dict[str, Any] | None


def _submit(
    *, actor: User, action_type: str, payload: dict[str, Any], comment: str, now: dt.datetime
) -> Submitted:
    action = registry.get(action_type)
    if action.permission:
        access.require(actor, action.permission)
    model = _validate_payload(action, payload)
    preview = action.check(actor=actor, payload=model, now=now)
    # read the organisation afresh: its policy (dual-admin mode) may have just changed
    org = Organisation.objects.get(pk=actor.organisation_id)
    policy = resolve_policy(action, org, preview.amount)
    summary = action.describe(payload=model)[:300]
    dedup = f"{action.code}:{preview.dedup_key}"[:200]
    existing = ApprovalRequest.objects.filter(
        organisation=org, dedup_key=dedup, status=ApprovalRequest.Status.PENDING
    ).first()
    if existing is not None:
        raise DuplicatePendingRequest(existing_request_id=str(existing.public_id))
    req = ApprovalRequest(
        organisation=org,
        action_type=action.code,
        object_type=preview.object_type,
        object_id=preview.object_id,
        dedup_key=dedup,
        payload=model.model_dump(mode="json"),
        summary=summary,
        preview={"before": preview.before, "after": preview.after},
        amount=preview.amount.minor if preview.amount else None,
        currency=preview.amount.currency if preview.amount else "",
        initiator=actor,
        created_at=now,
        expires_at=now + dt.timedelta(hours=policy.expiry_hours),
        level_count=len(policy.levels),
        auto_approved=policy.auto,
    )
    try:
        with transaction.atomic():
            req.save(force_insert=True)
    except IntegrityError:
        # a concurrent identical submission won the unique pending slot
        first = ApprovalRequest.objects.filter(
            organisation=org, dedup_key=dedup, status=ApprovalRequest.Status.PENDING
        ).first()
        raise DuplicatePendingRequest(
            existing_request_id=str(first.public_id) if first else ""
        ) from None
    for position, spec in enumerate(policy.levels, start=1):
        RequestLevel.objects.create(
            request=req,
            position=position,
            name=spec.name,
            required_approvals=spec.required_approvals,
            forbid_initiator=spec.forbid_initiator,
        )
        RequestAssignee.objects.bulk_create(
            [RequestAssignee(request=req, level=position, user_id=u) for u in spec.user_ids]
            + [RequestAssignee(request=req, level=position, role_id=r) for r in spec.role_ids]
        )
    RequestAction.objects.create(
        request=req, kind=RequestAction.Kind.SUBMIT, actor=actor, comment=comment, at=now
    )
    _audit(
        req,
        actor=actor,
        action="submit",
        before=preview.before,
        after={**_state(req), "payload": req.payload, "policy": policy.source},
        reason=comment,
        now=now,
    )
    if policy.auto:
        result = _execute(req, action, approver=None, now=now)
        return Submitted(req, True, result)
    return Submitted(req, False, None)


@transaction.atomic(durable=True)
def submit(
    *,
    actor: User,
    action_type: str,
    payload: dict[str, Any],
    comment: str = "",
    now: dt.datetime,
) -> Submitted:
    """Submit a command for approval (or execute it at once when its flow is "auto").

    Raises ValidationFailed (payload), the action's own DomainErrors (preconditions),
    DuplicatePendingRequest (pointing at the first), PermissionDenied, NotFound.
    """
    return _submit(actor=actor, action_type=action_type, payload=payload, comment=comment, now=now)


def submit_within(
    *,
    actor: User,
    action_type: str,
    payload: dict[str, Any],
    comment: str = "",
    now: dt.datetime,
) -> Submitted:
    """:func:`submit` inside the caller's transaction, for a caller that submits many
    (a batch import, a savepoint a row): it commits them, or rolls them back, itself —
    within ``policies_memoised()`` each flow is resolved once for the lot."""
    return _submit(actor=actor, action_type=action_type, payload=payload, comment=comment, now=now)


# -- decisions -----------------------------------------------------------------
@dataclass
class Decision:
    request: ApprovalRequest
    executed: bool
    result: dict[str, Any] | None = None


def approve(*, actor: User, request_id: Any, comment: str = "", now: dt.datetime) -> Decision:
    """Approve at the current level; the last approval executes the command.  One
    transaction (:func:`custodesk.approvals.batch.approve_many` with one request).

    Raises NotFound, RequestNotPending, RequestExpired, InitiatorCannotApprove,
    NotAnApprover, AlreadyDecided, PreconditionFailed (nothing changed).
    """
    answer = approve_many(actor=actor, request_ids=[request_id], comment=comment, now=now)[0]
    if answer.error is not None:
        raise answer.error
    assert answer.request is not None
    return Decision(answer.request, answer.executed, answer.result)


def _reject(*, actor: User, request_id: Any, reason: str, now: dt.datetime) -> Decision:
    if not (reason or "").strip():
        raise ValidationFailed.single("reason", "required", _("Give a reason for the rejection."))
    req = _locked(actor, request_id)
    level = _require_decidable(actor, req, now)
    req.reject_reason = reason.strip()
    _finish(
        req,
        status=ApprovalRequest.Status.REJECTED,
        kind=RequestAction.Kind.REJECT,
        actor=actor,
        comment=req.reject_reason,
        level=level.position,
        now=now,
    )
    return Decision(req, False)


@transaction.atomic(durable=True)
def reject(*, actor: User, request_id: Any, reason: str, now: dt.datetime) -> Decision:
    """Reject (reason required).  Raises ValidationFailed and the approve errors."""
    return _reject(actor=actor, request_id=request_id, reason=reason, now=now)


def _release(req: ApprovalRequest, *, now: dt.datetime) -> None:
    action = registry.get(req.action_type)
    if action.on_reject is not None:
        action.on_reject(payload=action.payload.model_validate(req.payload), request=req, now=now)


def _finish(
    req: ApprovalRequest,
    *,
    status: str,
    kind: str,
    actor: User | None,
    comment: str,
    now: dt.datetime,
    level: int | None = None,
) -> None:
    """End a pending request without executing it (reject, withdraw, expire): status,
    history row, the action's release hook, and the audit row."""
    before = _state(req)
    req.status = status
    req.decided_at = now
    req.save(update_fields=["status", "decided_at", "reject_reason"])
    RequestAction.objects.create(
        request=req, kind=kind, level=level, actor=actor, comment=comment, at=now
    )
    _release(req, now=now)
    _audit(req, actor=actor, action=kind, before=before, after=_state(req), reason=comment, now=now)


@dataclass
class BatchItem:
    request_id: str
    ok: bool
    status: str | None = None
    executed: bool = False
    code: str | None = None
    title: str | None = None


def batch_decide(
    *, actor: User, request_ids: list[Any], decision: str, reason: str = "", now: dt.datetime
) -> list[BatchItem]:
    """Approve or reject many requests, a result per request.  Approvals are decided
    set-based, a chunk per transaction (:mod:`custodesk.approvals.batch`); rejections
    one transaction each.  Never all-or-nothing: a refused item does not undo the others.
    """
    if decision not in {"approve", "reject"}:
        raise ValidationFailed.single("decision", "choice", _("Choose approve or reject."))
    if decision == "reject" and not reason.strip():
        raise ValidationFailed.single("reason", "required", _("Give a reason for the rejection."))
    if decision == "approve":
        return [
            BatchItem(
                a.request_id, False, code=a.error.code, title=str(a.error.detail or a.error.title)
            )
            if a.error is not None
            else BatchItem(a.request_id, True, status=a.status, executed=a.executed)
            for a in approve_many(actor=actor, request_ids=list(request_ids), now=now)
        ]
    results = []
    for rid in request_ids:
        try:
            d = reject(actor=actor, request_id=rid, reason=reason, now=now)
        except DomainError as exc:
            results.append(
                BatchItem(str(rid), False, code=exc.code, title=str(exc.detail or exc.title))
            )
        else:
            results.append(BatchItem(str(rid), True, status=d.request.status, executed=d.executed))
    return results


@transaction.atomic(durable=True)
def transfer(
    *, actor: User, request_id: Any, to_user_id: Any, comment: str = "", now: dt.datetime
) -> ApprovalRequest:
    """Hand the current level to another approver (转交): they can act, the actor no longer."""
    req = _locked(actor, request_id)
    level = _require_decidable(actor, req, now)
    target = User.objects.filter(public_id=to_user_id).first()
    if target is None or target.organisation_id != req.organisation_id:
        raise NotFound(object="user", field="to_user_id")
    if target.pk == actor.pk or target.status != User.Status.ACTIVE:
        raise CannotTransfer(field="to_user_id")
    if level.forbid_initiator and target.pk == req.initiator_id:
        raise CannotTransfer(field="to_user_id", reason="initiator")
    if RequestAction.objects.filter(
        request=req, kind=RequestAction.Kind.APPROVE, actor=target
    ).exists():
        raise CannotTransfer(field="to_user_id", reason="already_approved")
    if not could_approve(target, req, level):
        raise CannotTransfer(field="to_user_id", reason="not_an_approver")
    rows = RequestAssignee.objects.filter(request=req, level=level.position)
    rows.filter(user=target, excluded=True).delete()
    if not rows.filter(user=target, excluded=False).exists():
        RequestAssignee.objects.create(request=req, level=level.position, user=target)
    rows.filter(user=actor, excluded=False).delete()
    RequestAssignee.objects.create(request=req, level=level.position, user=actor, excluded=True)
    RequestAction.objects.create(
        request=req,
        kind=RequestAction.Kind.TRANSFER,
        level=level.position,
        actor=actor,
        target=target,
        comment=comment,
        at=now,
    )
    _audit(
        req,
        actor=actor,
        action="transfer",
        before={"approver": actor.username},
        after={"approver": target.username},
        reason=comment,
        now=now,
    )
    return req


@transaction.atomic(durable=True)
def cc(
    *, actor: User, request_id: Any, user_ids: list[Any], comment: str = "", now: dt.datetime
) -> ApprovalRequest:
    """Copy the request to other users (抄送): they see it in their CC tab, cannot decide."""
    req = _locked(actor, request_id)
    if not user_ids:
        raise ValidationFailed.single("user_ids", "required", _("Choose at least one user."))
    targets = list(
        User.objects.filter(
            public_id__in=user_ids, organisation_id=req.organisation_id, status="active"
        )
    )
    if len(targets) != len(set(map(str, user_ids))):
        raise NotFound(object="user", field="user_ids")
    level = RequestLevel.objects.filter(request=req, position=req.current_level).first()
    refused = sorted(
        t.username for t in targets if level is None or not could_approve(t, req, level)
    )
    if refused:
        raise CannotCc(field="user_ids", users=refused)
    already = set(
        RequestAction.objects.filter(request=req, kind=RequestAction.Kind.CC).values_list(
            "target_id", flat=True
        )
    )
    new = [t for t in targets if t.pk not in already]
    RequestAction.objects.bulk_create(
        [
            RequestAction(
                request=req,
                kind=RequestAction.Kind.CC,
                actor=actor,
                target=t,
                comment=comment,
                at=now,
            )
            for t in new
        ]
    )
    _audit(
        req,
        actor=actor,
        action="cc",
        after={"cc": sorted(t.username for t in new)},
        reason=comment,
        now=now,
    )
    return req


@transaction.atomic(durable=True)
def withdraw(
    *, actor: User, request_id: Any, reason: str = "", now: dt.datetime
) -> ApprovalRequest:
    """The initiator takes a pending request back."""
    req = _locked(actor, request_id)
    if req.initiator_id != actor.pk:
        raise NotTheInitiator()
    if req.status != ApprovalRequest.Status.PENDING:
        raise RequestNotPending(status=req.status)
    _finish(
        req,
        status=ApprovalRequest.Status.WITHDRAWN,
        kind=RequestAction.Kind.WITHDRAW,
        actor=actor,
        comment=reason,
        now=now,
    )
    return req


def expire_due(*, now: dt.datetime, limit: int = 500) -> int:
    """Mark pending requests past their expiry as expired (a job; also `approvals expire`)."""
    ids = list(
        ApprovalRequest.objects.filter(
            status=ApprovalRequest.Status.PENDING, expires_at__lte=now
        ).values_list("pk", flat=True)[:limit]
    )
    count = 0
    for pk in ids:
        if _expire_one(pk=pk, now=now):
            count += 1
    return count


@transaction.atomic(durable=True)
def _expire_one(*, pk: int, now: dt.datetime) -> bool:
    req = locks.request_for_expiry(pk)
    if req.status != ApprovalRequest.Status.PENDING or req.expires_at > now:
        return False
    _finish(
        req,
        status=ApprovalRequest.Status.EXPIRED,
        kind=RequestAction.Kind.EXPIRE,
        actor=None,
        comment="",
        now=now,
    )
    return True
