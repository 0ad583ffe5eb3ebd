"""The work-order centre's writes: create, submit, cancel, approve / reject (one or a
batch), execute.  Every step writes a history row and an audit row naming the order.

Approval is the approval engine's (``workorders.<kind>`` actions, ``approvals.py``):
the request's check re-reads the target at submission and at the last approval; the
last approval marks the order approved in the approving transaction, then

* kinds whose brokerage writes run inside an approval (freezes) execute right there —
  a failure refuses the approval and nothing changes;
* the others execute right after the approval commits (the brokerage services keep
  their own transactions): :func:`execute_approved` claims the order, calls the kind's
  execution, and ends the order executed (with the result, the client's notice and the
  outbox messages it caused) or failed with the reason.

Decided elsewhere (the approvals inbox), the same happens: the action's hooks run in
the engine's transaction and the execution is queued ``on_commit``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from custodesk.approvals import services as approvals
from custodesk.approvals.errors import InitiatorCannotApprove
from custodesk.audit.services import record
from custodesk.brokerage.models import Account, Client
from custodesk.core import access
from custodesk.core.errors import DomainError, FieldError, ValidationFailed
from custodesk.identity.models import User
from custodesk.notify import services as notify

from . import kinds as K
from . import permissions as perms
from .errors import OrderNotFound, OrderStateConflict
from .models import (
    MAX_ATTACHMENT_BYTES,
    MAX_ATTACHMENTS,
    ClientContact,
    WorkOrder,
    WorkOrderAccount,
    WorkOrderAttachment,
    WorkOrderHistory,
    WorkOrderMessage,
    WorkOrderSequence,
)

logger = logging.getLogger("custodesk.workorders")
S = WorkOrder.Status
MAX_TARGET_ACCOUNTS = 50
ATTACHMENT_TYPES = {
    "application/pdf",
    "image/png",
    "image/jpeg",
    "text/plain",
    "text/csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


@dataclass(frozen=True)
class Upload:
    name: str
    content_type: str
    content: bytes


# -- helpers -----------------------------------------------------------------------
def reserve_numbers(count: int = 1) -> list[str]:
    """``count`` new order numbers (``WO`` + 8 digits), in the caller's transaction."""
    seq, _created = WorkOrderSequence.objects.select_for_update().get_or_create(name="order")
    first = seq.last_value + 1
    seq.last_value += count
    seq.save(update_fields=["last_value"])
    return [f"WO{n:08d}" for n in range(first, first + count)]


def get_order(order_id: uuid.UUID | str, *, lock: bool = False) -> WorkOrder:
    qs = WorkOrder.objects.select_for_update() if lock else WorkOrder.objects.all()
    try:
        order = qs.filter(public_id=order_id).first()
    except (ValueError, TypeError, ValidationFailed):
        order = None
    if order is None:
        raise OrderNotFound()
    return order


def _kind(code: str) -> K.Kind:
    kind = K.get(code)
    if kind is None:
        raise ValidationFailed.single("kind", "choice", _("Not a kind of work order."))
    return kind


def order_kind(order: WorkOrder) -> K.Kind:
    kind = K.get(order.kind)
    if kind is None:  # a kind removed from the code: its orders can only be read
        raise OrderStateConflict(action="execute", status=order.status, kind=order.kind)
    return kind


def order_accounts(order: WorkOrder) -> list[Account]:
    return list(
        Account.objects.filter(pk__in=order.targets.values("account_id")).order_by("number")
    )


def _history(
    order: WorkOrder,
    *,
    action: str,
    actor: User | None,
    now: dt.datetime,
    before: str = "",
    comment: str = "",
    data: dict[str, Any] | None = None,
) -> None:
    WorkOrderHistory.objects.create(
        order=order,
        at=now,
        actor=actor,
        action=action,
        from_status=before,
        to_status=order.status,
        comment=comment[:500],
        data=data or {},
    )


def _audit(
    order: WorkOrder,
    *,
    actor: User | None,
    action: str,
    now: dt.datetime,
    before: Any = None,
    after: Any = None,
    reason: str = "",
) -> None:
    record(
        actor=actor,
        action=f"workorders.order.{action}",
        object_type="workorder",
        object_id=order.public_id,
        object_repr=f"{order.number} {order.kind}"[:200],
        before=before,
        after=after,
        reason=reason[:500],
        approval_request_id=str(order.approval_request_id) if order.approval_request_id else None,
        now=now,
    )


def _step(
    order: WorkOrder,
    *,
    to: str,
    action: str,
    actor: User | None,
    now: dt.datetime,
    comment: str = "",
    data: dict[str, Any] | None = None,
    fields: Sequence[str] = (),
) -> None:
    """Move the order to ``to``: save, history row, audit row."""
    before = order.status
    order.status, order.updated_at = to, now
    order.save(update_fields=["status", "updated_at", *fields])
    _history(order, action=action, actor=actor, now=now, before=before, comment=comment, data=data)
    _audit(
        order,
        actor=actor,
        action=action,
        before={"status": before},
        after={"status": to, **(data or {})},
        reason=comment,
        now=now,
    )


# -- targets and input -------------------------------------------------------------
def resolve_target(
    kind: K.Kind, *, client_no: str = "", account_numbers: Iterable[str] = ()
) -> tuple[Client, list[Account]]:
    """The order's client and accounts from the numbers the form gives: a client kind
    takes a client number (or one account number, whose client it means); an account
    kind one or more account numbers of one client."""
    numbers = [str(n).strip() for n in account_numbers if str(n).strip()]
    if len(numbers) > MAX_TARGET_ACCOUNTS:
        raise ValidationFailed.single("account_numbers", "max_items", _("50 accounts at most."))
    if len(set(numbers)) != len(numbers):
        raise ValidationFailed.single("account_numbers", "unique", _("An account is named twice."))
    found = {
        a.number: a for a in Account.objects.select_related("client").filter(number__in=numbers)
    }
    missing = [i for i, n in enumerate(numbers) if n not in found]
    if missing:
        raise ValidationFailed(
            [
                FieldError(f"account_numbers.{i}", "not_found", str(_("No such account.")))
                for i in missing
            ]
        )
    accounts = [found[n] for n in numbers]
    client_no = (client_no or "").strip()
    client = Client.objects.filter(client_no=client_no).first() if client_no else None
    if client_no and client is None:
        raise ValidationFailed.single("client_no", "not_found", _("No such client."))
    if kind.target == K.ACCOUNTS:
        if not accounts:
            raise ValidationFailed.single("account_numbers", "required", _("Name the account(s)."))
        owners = {a.client_id for a in accounts}
        if len(owners) > 1 or (client is not None and owners != {client.pk}):
            raise ValidationFailed.single(
                "account_numbers", "one_client", _("The accounts of one client only.")
            )
        return accounts[0].client, accounts
    if client is None:
        if len(accounts) != 1:
            raise ValidationFailed.single("client_no", "required", _("Name the client."))
        client = accounts[0].client
    elif accounts and {a.client_id for a in accounts} != {client.pk}:
        raise ValidationFailed.single(
            "account_numbers", "one_client", _("The accounts of one client only.")
        )
    return client, []


def _clean_uploads(uploads: Sequence[Upload]) -> list[tuple[Upload, str]]:
    if len(uploads) > MAX_ATTACHMENTS:
        raise ValidationFailed.single("attachments", "max_items", _("5 files at most."))
    errors, out = [], []
    for i, up in enumerate(uploads):
        path = f"attachments.{i}"
        name = PurePosixPath((up.name or "").replace("\\", "/")).name.strip()[:200]
        if not name:
            errors.append(FieldError(path, "required", str(_("The file needs a name."))))
        elif len(up.content) > MAX_ATTACHMENT_BYTES:
            errors.append(FieldError(path, "max_size", str(_("5 MB at most per file."))))
        elif up.content_type not in ATTACHMENT_TYPES:
            errors.append(
                FieldError(path, "file_type", str(_("PDF, image, text, CSV, XLSX or DOCX files.")))
            )
        elif not up.content:
            errors.append(FieldError(path, "empty", str(_("The file is empty."))))
        else:
            out.append(
                (Upload(name, up.content_type, up.content), hashlib.sha256(up.content).hexdigest())
            )
    if errors:
        raise ValidationFailed(errors)
    return out


# -- create, submit, cancel --------------------------------------------------------
def order_create_within(
    *,
    actor: User,
    kind: str,
    client: Client,
    accounts: Sequence[Account] = (),
    reason: str = "",
    fields: dict[str, Any] | None = None,
    attachments: Sequence[Upload] = (),
    channel: str = WorkOrder.Channel.MANUAL,
    batch_id: uuid.UUID | None = None,
    number: str | None = None,
    now: dt.datetime,
) -> WorkOrder:
    """A draft order in the caller's transaction (the batch import reserves its numbers
    with :func:`reserve_numbers` and passes them).  Raises ValidationFailed, the kind's
    target-state refusals, PermissionDenied."""
    access.require(actor, perms.ORDER_CREATE)
    k = _kind(kind)
    if channel not in WorkOrder.Channel.values:
        raise ValidationFailed.single("channel", "choice", _("Not a valid choice."))
    cleaned = K.clean_fields(k, fields)
    files = _clean_uploads(attachments)
    text = K.clean_reason(k, reason, has_attachments=bool(files))
    k.check(client, list(accounts), cleaned)
    order = WorkOrder.objects.create(
        number=number or reserve_numbers(1)[0],
        kind=k.code,
        client=client,
        reason=text,
        fields=cleaned,
        creator=actor,
        channel=channel,
        batch_id=batch_id,
        created_at=now,
        updated_at=now,
    )
    WorkOrderAccount.objects.bulk_create(
        [WorkOrderAccount(order=order, account=a) for a in accounts]
    )
    for up, digest in files:
        WorkOrderAttachment.objects.create(
            order=order,
            name=up.name,
            content_type=up.content_type,
            size=len(up.content),
            sha256=digest,
            content=up.content,
            uploaded_by=actor,
            uploaded_at=now,
        )
    data = {
        "kind": k.code,
        "client_no": client.client_no,
        "accounts": [a.number for a in accounts],
        "fields": cleaned,
        "channel": channel,
        "attachments": [{"name": up.name, "sha256": d} for up, d in files],
    }
    _history(order, action="create", actor=actor, now=now, comment=text, data=data)
    _audit(
        order,
        actor=actor,
        action="create",
        after={"status": order.status, **data},
        reason=text,
        now=now,
    )
    return order


def order_create(
    *,
    actor: User,
    kind: str,
    client_no: str = "",
    account_numbers: Sequence[str] = (),
    reason: str = "",
    fields: dict[str, Any] | None = None,
    attachments: Sequence[Upload] = (),
    channel: str = WorkOrder.Channel.MANUAL,
    submit: bool = True,
    now: dt.datetime,
) -> WorkOrder:
    """Create an order (and submit it for approval unless ``submit`` is false).

    Raises ValidationFailed (kind, client_no, account_numbers, reason, fields.*,
    attachments.*), the target's refusals (e.g. ``invalid_transition``), the approval
    engine's (``duplicate_pending_request`` for the same kind on the same target),
    PermissionDenied."""
    k = _kind(kind)
    with transaction.atomic(durable=True):
        client, accounts = resolve_target(k, client_no=client_no, account_numbers=account_numbers)
        order = order_create_within(
            actor=actor,
            kind=k.code,
            client=client,
            accounts=accounts,
            reason=reason,
            fields=fields,
            attachments=attachments,
            channel=channel,
            now=now,
        )
    if submit:
        order = order_submit(actor=actor, order_id=order.public_id, now=now)
    return order


def order_submit(*, actor: User, order_id: uuid.UUID | str, now: dt.datetime) -> WorkOrder:
    """Submit a draft to its approval flow.  An automatic flow approves (and executes)
    it at once.  Raises OrderStateConflict (not a draft), NotTheCreator (PermissionDenied),
    the target's refusals, DuplicatePendingRequest."""
    with transaction.atomic(durable=True):
        order = order_submit_within(actor=actor, order_id=order_id, now=now)
    if order.status == S.APPROVED:
        execute_approved(order_id=order.public_id, now=now)
        order.refresh_from_db()
    return order


def order_submit_within(*, actor: User, order_id: uuid.UUID | str, now: dt.datetime) -> WorkOrder:
    """:func:`order_submit` inside the caller's transaction (the batch import: a savepoint
    a row), the order and its approval request together.  An order its flow approved at
    once is returned approved: the caller runs :func:`execute_approved` after its commit
    (the ``execute_approved_orders`` job would otherwise)."""
    access.require(actor, perms.ORDER_CREATE)
    order = get_order(order_id)
    if order.creator_id != actor.pk:
        raise _not_creator()
    if order.status != S.DRAFT:
        raise OrderStateConflict(action="submit", status=order.status)
    k = order_kind(order)
    sub = approvals.submit_within(
        actor=actor, action_type=k.action_type, payload={"order_id": str(order.public_id)}, now=now
    )
    order = get_order(order_id, lock=True)
    order.approval_request_id = sub.request.public_id
    order.submitted_at = now
    if order.status == S.DRAFT:
        _step(
            order,
            to=S.SUBMITTED,
            action="submit",
            actor=actor,
            now=now,
            data={
                "approval_request_id": str(sub.request.public_id),
                "levels": sub.request.level_count,
            },
            fields=("approval_request_id", "submitted_at"),
        )
    else:  # approved at once by its flow (automatic), in the submission
        order.save(update_fields=["approval_request_id", "submitted_at"])
    return order


def _not_creator() -> DomainError:
    from custodesk.approvals.errors import NotTheInitiator

    return NotTheInitiator()


def order_cancel(
    *, actor: User, order_id: uuid.UUID | str, reason: str = "", now: dt.datetime
) -> WorkOrder:
    """The creator cancels a draft, or withdraws a pending order from its approval."""
    access.require(actor, perms.ORDER_CREATE)
    order = get_order(order_id)
    if order.creator_id != actor.pk:
        raise _not_creator()
    if order.status == S.SUBMITTED and order.approval_request_id:
        approvals.withdraw(
            actor=actor, request_id=order.approval_request_id, reason=reason, now=now
        )
        return get_order(order_id)
    with transaction.atomic(durable=True):
        order = get_order(order_id, lock=True)
        if order.status != S.DRAFT:
            raise OrderStateConflict(action="cancel", status=order.status)
        _step(order, to=S.CANCELLED, action="cancel", actor=actor, now=now, comment=reason)
    return order


# -- decisions ---------------------------------------------------------------------
@dataclass
class BatchResult:
    order_id: str
    number: str
    ok: bool
    status: str
    code: str | None = None
    title: str | None = None


def _pending(order: WorkOrder, action: str) -> uuid.UUID:
    if order.status != S.SUBMITTED or order.approval_request_id is None:
        raise OrderStateConflict(action=action, status=order.status)
    return order.approval_request_id


def order_approve(
    *, actor: User, order_id: uuid.UUID | str, comment: str = "", now: dt.datetime
) -> WorkOrder:
    """Approve at the order's current level; the last approval executes it.  Raises
    OrderStateConflict, InitiatorCannotApprove (the creator), the engine's refusals
    (NotAnApprover, PreconditionFailed naming the target's state …), PermissionDenied."""
    access.require(actor, perms.ORDER_DECIDE)
    order = get_order(order_id)
    request_id = _pending(order, "approve")
    if order.creator_id == actor.pk:
        raise InitiatorCannotApprove()
    decision = approvals.approve(actor=actor, request_id=request_id, comment=comment, now=now)
    if decision.executed:
        execute_approved(order_id=order.public_id, now=now)
    return get_order(order_id)


def order_reject(
    *, actor: User, order_id: uuid.UUID | str, reason: str, now: dt.datetime
) -> WorkOrder:
    """Reject (reason required); the order ends rejected with the reason."""
    access.require(actor, perms.ORDER_DECIDE)
    if not (reason or "").strip():
        raise ValidationFailed.single("reason", "required", _("Give a reason for the rejection."))
    order = get_order(order_id)
    request_id = _pending(order, "reject")
    approvals.reject(actor=actor, request_id=request_id, reason=reason.strip(), now=now)
    return get_order(order_id)


def batch_decide(
    *,
    actor: User,
    order_ids: Sequence[uuid.UUID | str],
    decision: str,
    reason: str = "",
    now: dt.datetime,
) -> list[BatchResult]:
    """Approve or reject many orders, each on its own (one refusal does not undo the
    others): a result per order — its status after, or the refusal's code and title."""
    access.require(actor, perms.ORDER_DECIDE)
    if decision not in ("approve", "reject"):
        raise ValidationFailed.single("decision", "choice", _("Choose approve or reject."))
    if decision == "reject" and not (reason or "").strip():
        raise ValidationFailed.single("reason", "required", _("Give a reason for the rejection."))
    if not order_ids or len(order_ids) > 500:
        raise ValidationFailed.single("order_ids", "size", _("Between 1 and 500 orders."))
    results = []
    for oid in order_ids:
        try:
            if decision == "approve":
                order = order_approve(actor=actor, order_id=oid, comment=reason, now=now)
            else:
                order = order_reject(actor=actor, order_id=oid, reason=reason, now=now)
        except DomainError as exc:
            known = WorkOrder.objects.filter(public_id=oid).first() if _is_uuid(oid) else None
            results.append(
                BatchResult(
                    str(oid),
                    known.number if known else "",
                    False,
                    known.status if known else "",
                    code=exc.code,
                    title=str(exc.detail or exc.title),
                )
            )
        else:
            ok = order.status != S.FAILED
            results.append(
                BatchResult(
                    str(oid),
                    order.number,
                    ok,
                    order.status,
                    code=None if ok else "execution_failed",
                    title=None if ok else order.failure_reason,
                )
            )
    return results


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


# -- the approval engine's hooks (run in its transaction) --------------------------
def on_approved(
    *, order_id: uuid.UUID, approver: User | None, request_id: str, now: dt.datetime
) -> dict[str, Any]:
    order = get_order(order_id, lock=True)
    if order.status not in (S.DRAFT, S.SUBMITTED):
        raise OrderStateConflict(action="approve", status=order.status)
    if approver is not None and approver.pk == order.creator_id:
        raise InitiatorCannotApprove()
    k = order_kind(order)
    order.approved_by, order.approved_at = approver, now
    order.approval_request_id = order.approval_request_id or uuid.UUID(request_id)
    _step(
        order,
        to=S.APPROVED,
        action="approve",
        actor=approver,
        now=now,
        data={"automatic": approver is None},
        fields=("approved_by", "approved_at", "approval_request_id"),
    )
    if k.in_transaction:
        x = _execution(order, k, now=now)
        result = k.execute(x)
        order.execution_started_at = now
        _executed(order, k, x, result)
    else:
        pk = order.public_id
        transaction.on_commit(lambda: execute_approved(order_id=pk, now=now), robust=True)
    return {"order": order.number, "status": order.status}


def on_request_ended(*, order_id: uuid.UUID, status: str, reason: str, now: dt.datetime) -> None:
    """The request was rejected, withdrawn or expired: the order ends rejected (with the
    reason) or cancelled."""
    order = get_order(order_id, lock=True)
    if order.status not in (S.DRAFT, S.SUBMITTED):
        return
    if status == "rejected":
        order.reject_reason = (reason or "-")[:400]
        _step(
            order,
            to=S.REJECTED,
            action="reject",
            actor=None,
            now=now,
            comment=order.reject_reason,
            fields=("reject_reason",),
        )
    else:
        _step(order, to=S.CANCELLED, action=status, actor=None, now=now, comment=reason)


# -- execution ---------------------------------------------------------------------
def _execution(order: WorkOrder, k: K.Kind, *, now: dt.datetime) -> K.Execution:
    client = Client.objects.get(pk=order.client_id)
    reason = f"{order.number}: {order.reason}" if order.reason else order.number
    return K.Execution(
        order=order,
        client=client,
        accounts=order_accounts(order),
        actor=order.approved_by or order.creator,
        now=now,
        reason=reason[:400],
        approval_request_id=str(order.approval_request_id) if order.approval_request_id else None,
    )


def execute_approved(*, order_id: uuid.UUID | str, now: dt.datetime) -> WorkOrder:
    """Execute an approved order once (claimed under a row lock: a second call finds
    it claimed and does nothing); ends executed or failed with the reason."""
    with transaction.atomic(durable=True):
        order = get_order(order_id, lock=True)
        if order.status != S.APPROVED or order.execution_started_at is not None:
            return order
        order.execution_started_at = now
        order.save(update_fields=["execution_started_at"])
    k = order_kind(order)
    x = _execution(order, k, now=now)
    error: dict[str, Any] | None = None
    try:
        result = k.execute(x)
    except DomainError as exc:
        error = {"code": exc.code, "title": str(exc.detail or exc.title)}
    except Exception:  # the order records the failure; the cause is logged
        logger.exception("work order %s failed in execution", order.number)
        error = {"code": "internal_error", "title": str(_("The execution failed unexpectedly."))}
    with transaction.atomic(durable=True):
        order = get_order(order_id, lock=True)
        if order.status != S.APPROVED:
            return order
        if error is not None:
            order.failure_reason = f"{error['code']}: {error['title']}"[:500]
            order.result = {"error": error}
            _step(
                order,
                to=S.FAILED,
                action="fail",
                actor=x.actor,
                now=now,
                comment=order.failure_reason,
                data={"error": error},
                fields=("failure_reason", "result"),
            )
        else:
            _executed(order, k, x, result)
    return order


def execute_due(*, now: dt.datetime, limit: int = 200) -> int:
    """Approved orders not yet claimed for execution, approved over a minute ago (the
    execution after the approval's commit normally takes them at once)."""
    ids = list(
        WorkOrder.objects.filter(
            status=S.APPROVED,
            execution_started_at__isnull=True,
            approved_at__lte=now - dt.timedelta(minutes=1),
        )
        .order_by("approved_at", "id")
        .values_list("public_id", flat=True)[:limit]
    )
    for oid in ids:
        execute_approved(order_id=oid, now=now)
    return len(ids)


def _executed(order: WorkOrder, k: K.Kind, x: K.Execution, result: dict[str, Any]) -> None:
    order.executed_at, order.result = x.now, result
    _step(
        order,
        to=S.EXECUTED,
        action="execute",
        actor=x.actor,
        now=x.now,
        data={"result": result},
        fields=("executed_at", "result", "execution_started_at"),
    )
    for msg in x.messages:
        _keep_message(order, msg.public_id, msg.channel, msg.template, msg.recipient, x.now)
    if k.notice and ("notify" not in order.fields or order.fields.get("notify")):
        _notify_client(order, k, x)


# -- messages to the client --------------------------------------------------------
LANGUAGE_BY_NATIONALITY = {"CN": "zh-hans", "HK": "zh-hant", "MO": "zh-hant", "TW": "zh-hant"}


def client_language(client: Client) -> str:
    """The language of the client's notices: its own (the work-order centre's client
    data) or, failing that, by its nationality; else the site's."""
    contact = ClientContact.objects.filter(client=client).only("language").first()
    if contact is not None and contact.language:
        return contact.language
    return LANGUAGE_BY_NATIONALITY.get(client.nationality, "")


def _keep_message(
    order: WorkOrder,
    message_id: uuid.UUID,
    channel: str,
    template: str,
    recipient: str,
    now: dt.datetime,
) -> None:
    WorkOrderMessage.objects.create(
        order=order,
        message_id=message_id,
        channel=channel,
        template=template,
        recipient=recipient,
        created_at=now,
    )


def _notify_client(order: WorkOrder, k: K.Kind, x: K.Execution) -> None:
    client = Client.objects.get(pk=order.client_id)  # as the execution left it
    context = {
        "client_no": client.client_no,
        "accounts": ", ".join(a.number for a in x.accounts) or "-",
    }
    language = client_language(client)
    for channel, recipient in (("sms", client.phone), ("email", client.email)):
        if not recipient:
            continue
        msg = notify.enqueue(
            channel=channel,
            template=k.notice,
            recipient=recipient,
            language=language,
            context=context,
            now=x.now,
        )
        _keep_message(order, msg.public_id, channel, k.notice, msg.recipient, x.now)
