"""Many approvals by one approver, set-based: the approve side of ``batch_decide``.

:func:`approve_many` decides up to :data:`CHUNK` requests in **one transaction** with
a fixed number of statements per table, instead of one transaction and some forty
statements per request:

1. lock the chunk's requests (``SELECT … FOR UPDATE OF`` the request rows only, in id
   order — two batches over the same requests cannot deadlock on them);
2. read what the checks need for the whole chunk at once — the current levels, the
   assignees, the actor's earlier approvals, the approvals counted per level — and
   answer each request as :func:`~custodesk.approvals.services.approve` would
   (``not_found``, ``request_not_pending``, ``request_expired``,
   ``initiator_cannot_approve``, ``not_an_approver``, ``already_decided``);
3. execute the requests whose last level is now complete: an action type with
   ``execute_many`` re-checks and executes its lot in one go and answers each item
   (a refused item wrote nothing); any other action type executes one request at a
   time in a savepoint (exactly the single-approval code);
4. write the decisions: the history rows in one INSERT, the requests' new state in
   one UPDATE, and the audit rows last, under one hold of the audit chain head.

A refused item does not undo the others, and leaves nothing behind: its approval is
not recorded, as a single approval whose execution fails is rolled back whole.  A
deadlock or serialisation failure retries the chunk (bounded), as nothing of it has
committed.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import Q

from custodesk.audit.services import AuditEntry, record_many
from custodesk.audit.services import entry as audit_entry
from custodesk.core import retry, sql
from custodesk.core.errors import DomainError, NotFound
from custodesk.identity.models import User

from . import permissions as perms
from . import registry
from .errors import (
    AlreadyDecided,
    InitiatorCannotApprove,
    NotAnApprover,
    PreconditionFailed,
    RequestExpired,
    RequestNotPending,
)
from .models import ApprovalRequest, RequestAction, RequestAssignee, RequestLevel

CHUNK = 100


@dataclass
class Answer:
    """One request's answer: refused (``error``), or decided (``executed`` or not)."""

    request_id: str
    error: DomainError | None = None
    status: str | None = None
    executed: bool = False
    result: dict[str, Any] | None = None
    request: ApprovalRequest | None = None  # as it is after the decision


@dataclass
class _Plan:
    req: ApprovalRequest
    level: RequestLevel
    approvals: int
    answer: Answer
    advance: bool = False
    execute: bool = False
    inline: bool = False  # executed one by one (all its rows written by then)
    before: dict[str, Any] = field(default_factory=dict)


def approve_many(
    *, actor: User, request_ids: list[Any], comment: str = "", now: dt.datetime
) -> list[Answer]:
    """Approve ``request_ids`` at their current levels, :data:`CHUNK` per transaction;
    an answer per id, in order.  Must be called outside any transaction."""
    answers: list[Answer] = []
    for start in range(0, len(request_ids), CHUNK):
        chunk = [str(r) for r in request_ids[start : start + CHUNK]]
        answers.extend(
            retry.on_conflict(partial(_chunk, actor, chunk, comment, now), what="approvals")
        )
    return answers


def _uuid(value: str) -> UUID | None:
    try:
        return UUID(value)
    except ValueError:
        return None


@transaction.atomic(durable=True)
def _chunk(actor: User, ids: list[str], comment: str, now: dt.datetime) -> list[Answer]:
    wanted = {u for u in map(_uuid, ids) if u is not None}
    locked = list(
        ApprovalRequest.objects.select_for_update(of=("self",))
        .select_related("organisation", "initiator")
        .filter(public_id__in=wanted)
        .order_by("pk")
    )
    roles = actor.role_ids()
    assignees: dict[tuple[int, int], list[RequestAssignee]] = defaultdict(list)
    for a in RequestAssignee.objects.filter(request_id__in=[r.pk for r in locked]):
        assignees[(a.request_id, a.level)].append(a)
    visible = _visible(actor, locked, assignees, roles)
    reqs = {r.public_id: r for r in locked if r.pk in visible}
    pks = [r.pk for r in reqs.values()]
    levels = {
        (lv.request_id, lv.position): lv for lv in RequestLevel.objects.filter(request_id__in=pks)
    }
    mine: set[int] = set()
    counted: dict[tuple[int, int | None], int] = defaultdict(int)
    for request_id, level_no, by in RequestAction.objects.filter(
        request_id__in=pks, kind=RequestAction.Kind.APPROVE
    ).values_list("request_id", "level", "actor_id"):
        counted[(request_id, level_no)] += 1
        if by == actor.pk:
            mine.add(request_id)
    answers: list[Answer] = []
    plans: list[_Plan] = []
    taken: set[int] = set()
    for rid in ids:
        answer = Answer(rid)
        answers.append(answer)
        uid = _uuid(rid)
        req = reqs.get(uid) if uid is not None else None
        if req is None:
            answer.error = NotFound(object="approval_request")
            continue
        if req.pk in taken:  # the same id twice: decided once, as two approvals in a row
            answer.error = AlreadyDecided()
            continue
        taken.add(req.pk)
        level = levels.get((req.pk, req.current_level))
        answer.error = _refusal(actor, req, level, assignees, roles, mine, now)
        if answer.error is not None:
            continue
        assert level is not None
        n = counted.get((req.pk, level.position), 0) + 1
        answer.request = req
        plan = _Plan(req, level, n, answer, before=_state(req))
        if n >= level.required_approvals:
            plan.advance = level.position < req.level_count
            plan.execute = not plan.advance
        plans.append(plan)
    action_rows: list[AuditEntry] = []
    _execute(actor, [p for p in plans if p.execute], comment, action_rows, now)
    _write(actor, [p for p in plans if p.answer.error is None], comment, action_rows, now)
    return answers


def _write(
    actor: User,
    plans: list[_Plan],
    comment: str,
    action_rows: list[AuditEntry],
    now: dt.datetime,
    *,
    approve_only: bool = False,
) -> None:
    """The decisions' rows (the set-based ones: not those executed one by one); with
    ``approve_only`` just the approval's, before an execution one by one writes its own."""
    if not approve_only:
        plans = [p for p in plans if not p.inline]
    history: list[RequestAction] = []
    for p in plans:
        history.append(
            RequestAction(
                request=p.req,
                kind=RequestAction.Kind.APPROVE,
                level=p.level.position,
                actor=actor,
                comment=comment,
                at=now,
            )
        )
        if p.execute and not approve_only:
            history.append(
                RequestAction(request=p.req, kind=RequestAction.Kind.EXECUTE, actor=actor, at=now)
            )
    sql.insert_rows(history)
    snapshot = actor.audit_snapshot()
    if approve_only:
        record_many(
            [
                audit_row(
                    p.req,
                    actor=actor,
                    action="approve",
                    before=p.before,
                    after=_after(p),
                    reason=comment,
                    now=now,
                    snapshot=snapshot,
                )
                for p in plans
            ]
        )
        return
    advanced = [p.req for p in plans if p.advance]
    for r in advanced:
        r.current_level += 1
    sql.update_rows(advanced, ["current_level"])
    executed = [p.req for p in plans if p.execute]
    sql.update_rows(executed, ["status", "decided_at", "result"])
    rows = [
        audit_row(
            p.req,
            actor=actor,
            action="approve",
            before=p.before,
            after=_after(p),
            reason=comment,
            now=now,
            snapshot=snapshot,
        )
        for p in plans
    ]
    rows += action_rows
    rows += [
        audit_row(
            p.req,
            actor=actor,
            action="execute",
            after={"result": p.req.result},
            now=now,
            snapshot=snapshot,
        )
        for p in plans
        if p.execute
    ]
    record_many(rows)
    for p in plans:
        p.answer.status = p.req.status
        p.answer.executed = p.execute
        p.answer.result = p.req.result if p.execute else None


def _after(p: _Plan) -> dict[str, Any]:
    if not p.advance and not p.execute:
        return {**_state(p.req), "approvals": p.approvals}
    return _state(p.req)


def audit_row(
    req: ApprovalRequest,
    *,
    actor: User | None,
    action: str,
    now: dt.datetime,
    before: Any = None,
    after: Any = None,
    reason: str = "",
    snapshot: dict[str, Any] | None = None,
) -> AuditEntry:
    """A decision's operation record (``approval.<action>``), not yet written."""
    return audit_entry(
        actor=actor,
        snapshot=snapshot,
        action=f"approval.{action}",
        object_type="approval_request",
        object_id=req.public_id,
        object_repr=req.summary[:200],
        before=before,
        after=after,
        reason=reason,
        approval_request_id=str(req.public_id),
        organisation_id=req.organisation_id,
        organisation_code=req.organisation.code,
        now=now,
    )


def _state(req: ApprovalRequest) -> dict[str, Any]:
    return {"status": req.status, "level": req.current_level, "of": req.level_count}


def _visible(
    actor: User,
    reqs: list[ApprovalRequest],
    assignees: dict[tuple[int, int], list[RequestAssignee]],
    roles: set[int],
) -> set[int]:
    """:func:`~custodesk.approvals.policy.can_view` for many requests at once (the
    assignees read already; the history only for those not settled by them)."""
    seen = [r for r in reqs if actor.sees_organisation(r.organisation_id)]
    if actor.has_permission(perms.REQUEST_VIEW_ALL):
        return {r.pk for r in seen}
    named: set[int] = {
        request_id
        for (request_id, _level), rows in assignees.items()
        if any(not a.excluded and (a.user_id == actor.pk or a.role_id in roles) for a in rows)
    }
    out = {r.pk for r in seen if r.initiator_id == actor.pk or r.pk in named}
    rest = [r.pk for r in seen if r.pk not in out]
    if rest:
        out |= set(
            RequestAction.objects.filter(request_id__in=rest)
            .filter(Q(actor=actor) | Q(target=actor))
            .values_list("request_id", flat=True)
        )
    return out


def _refusal(
    actor: User,
    req: ApprovalRequest,
    level: RequestLevel | None,
    assignees: dict[tuple[int, int], list[RequestAssignee]],
    roles: set[int],
    mine: set[int],
    now: dt.datetime,
) -> DomainError | None:
    """What :func:`~custodesk.approvals.services.approve` would refuse, in its order."""
    if req.status != ApprovalRequest.Status.PENDING:
        return RequestNotPending(status=req.status)
    if req.expires_at <= now:
        return RequestExpired(expires_at=req.expires_at.isoformat())
    if level is None:  # a pending request always has its current level
        return NotFound(object="approval_request")
    if level.forbid_initiator and actor.pk == req.initiator_id:
        return InitiatorCannotApprove()
    if not _eligible(actor, req, assignees.get((req.pk, level.position), []), roles):
        return NotAnApprover(level=req.current_level)
    if req.pk in mine:
        return AlreadyDecided()
    return None


def _eligible(
    actor: User, req: ApprovalRequest, rows: list[RequestAssignee], roles: set[int]
) -> bool:
    """:func:`~custodesk.approvals.policy.is_eligible` over rows read for the chunk."""
    if actor.status != User.Status.ACTIVE or actor.organisation_id != req.organisation_id:
        return False
    action = registry.find(req.action_type)
    needed = action.approve_permission if action else None
    if needed is not None and not actor.has_permission(needed):
        return False
    if any(r.user_id == actor.pk and r.excluded for r in rows):
        return False
    return any(
        (r.user_id == actor.pk and not r.excluded) or (r.role_id is not None and r.role_id in roles)
        for r in rows
    )


def _execute(
    actor: User, plans: list[_Plan], comment: str, action_rows: list[AuditEntry], now: dt.datetime
) -> None:
    """Execute the completed requests, per action type; a refusal goes on the answer."""
    from . import services

    by_type: dict[str, list[_Plan]] = defaultdict(list)
    for p in plans:
        by_type[p.req.action_type].append(p)
    for code, group in by_type.items():
        action = registry.get(code)
        if action.execute_many is None:
            for p in group:  # the single-approval code, one savepoint each
                p.inline = True
                try:
                    with transaction.atomic():
                        _write(actor, [p], comment, [], now, approve_only=True)
                        p.answer.result = services._execute(p.req, action, approver=actor, now=now)
                except DomainError as exc:
                    p.answer.error = exc
                else:
                    p.answer.status, p.answer.executed = p.req.status, True
            continue
        items = [(p.req, action.payload.model_validate(p.req.payload)) for p in group]
        outcomes = action.execute_many(approver=actor, items=items, now=now, audit=action_rows)
        for p, out in zip(group, outcomes, strict=True):
            if isinstance(out, DomainError):
                p.answer.error = PreconditionFailed(
                    cause=out.code, cause_title=str(out.detail or out.title), **out.data
                )
            else:
                p.req.status = ApprovalRequest.Status.APPROVED
                p.req.decided_at = now
                p.req.result = out
