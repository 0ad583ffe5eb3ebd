"""The import's writes: upload (idempotent by the file's SHA-256), validate (a job),
confirm, create the orders (a job), and the batch unfreeze of a list selection.

The jobs (``workorders.tasks``) call :func:`import_validate` and :func:`import_create`;
both commit a chunk at a time (the progress the console polls is committed with it) and
are safe to run again: validation starts over, creation goes on with the rows still
``valid``.  Orders are made by the work-order services — ``order_create_within`` and
``order_submit_within`` in the chunk's transaction, a savepoint a row, with numbers
reserved for the chunk and each approval flow resolved once — channel ``import``, all
with the import's ``batch_id``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from custodesk.approvals import services as approvals
from custodesk.audit.services import record
from custodesk.brokerage.models import Account, Client
from custodesk.core import access
from custodesk.core.errors import DomainError, ValidationFailed
from custodesk.identity.models import User

from .. import permissions as perms
from .. import services as orders
from ..models import WorkOrder
from . import columns, readers, validate
from .errors import ImportNotFound, ImportStateConflict, NothingToImport
from .models import ImportBatch, ImportRow

VALIDATE_CHUNK = 1_000
# rows per transaction when creating orders: the chain head of the operation records
# is held until its commit, so other audited writes wait up to one chunk (~0.5 s)
CREATE_CHUNK = 50


def _audit(
    b: ImportBatch, *, actor: User | None, action: str, now: dt.datetime, **after: Any
) -> None:
    record(
        actor=actor,
        action=f"workorders.import.{action}",
        object_type="workorders.import",
        object_id=str(b.public_id),
        object_repr=b.file_name,
        after={"status": b.status, "sha256": b.sha256, **after},
        now=now,
    )


def get_batch(batch_id: uuid.UUID | str, *, lock: bool = False) -> ImportBatch:
    qs = ImportBatch.objects.select_for_update() if lock else ImportBatch.objects.all()
    try:
        b = qs.filter(public_id=batch_id).first()
    except (ValueError, TypeError, DjangoValidationError):
        b = None
    if b is None:
        raise ImportNotFound()
    return b


# -- upload ------------------------------------------------------------------------
@dataclass
class Uploaded:
    batch: ImportBatch
    repeated: bool  # the same file was uploaded before: this is the earlier import


@transaction.atomic(durable=True)
def import_upload(*, actor: User, name: str, content: bytes, now: dt.datetime) -> Uploaded:
    """Keep the file and start checking it (a background job), or — the same bytes
    uploaded before — answer the earlier import.  Raises ValidationFailed (``file``:
    ``required``, ``max_size``, ``format``, ``encoding``, ``empty``, ``header``),
    PermissionDenied."""
    from .. import tasks

    access.require(actor, perms.ORDER_CREATE)
    if not content:
        raise ValidationFailed.single("file", "required", _("Choose a CSV or XLSX file."))
    if len(content) > columns.MAX_FILE_BYTES:
        raise ValidationFailed.single("file", "max_size", _("20 MB at most."))
    digest = hashlib.sha256(content).hexdigest()
    earlier = ImportBatch.objects.filter(sha256=digest).first()
    if earlier is not None:
        return Uploaded(earlier, True)
    fmt = readers.detect_format(name, content)
    readers.read(content, fmt)  # the header now: a wrong file is refused at once
    b = ImportBatch.objects.create(
        sha256=digest,
        file_name=(name or f"import.{fmt}").replace("\\", "/").rsplit("/", 1)[-1][:200],
        file_format=fmt,
        size=len(content),
        content=content,
        uploaded_by=actor,
        uploaded_at=now,
    )
    _audit(b, actor=actor, action="upload", now=now, file_name=b.file_name, size=b.size)
    tasks.validate_import.enqueue(str(b.public_id))
    return Uploaded(b, False)


# -- validation (the job) ------------------------------------------------------------
def _claim(batch_id: str, from_status: tuple[str, ...], to: str, **values: Any) -> bool:
    with transaction.atomic(durable=True):
        return bool(
            ImportBatch.objects.filter(public_id=batch_id, status__in=from_status).update(
                status=to, **values
            )
        )


def _fail(b: ImportBatch, reason: str, now: dt.datetime) -> None:
    with transaction.atomic(durable=True):
        ImportBatch.objects.filter(pk=b.pk).update(
            status=ImportBatch.Status.FAILED, failure_reason=reason[:500], finished_at=now
        )
        b.refresh_from_db()
        _audit(b, actor=None, action="fail", now=now, reason=reason[:500])


def import_validate(*, batch_id: str, now: dt.datetime) -> ImportBatch:
    """Check every row of an uploaded file and store the preview (each row with its
    errors), a chunk per transaction with the progress.  Runs again from the start if
    it was interrupted; does nothing once the import is past validation."""
    S = ImportBatch.Status
    if not _claim(batch_id, (S.UPLOADED, S.VALIDATING), S.VALIDATING, progress_done=0):
        return get_batch(batch_id)
    b = get_batch(batch_id)
    try:
        raw = readers.read_all(bytes(b.content), b.file_format)
    except ValidationFailed as exc:
        _fail(b, "; ".join(f"{e.field}: {e.message}" for e in exc.errors), now)
        return get_batch(batch_id)
    rows = validate.prepare(raw)
    checker = validate.Checker(rows)
    with transaction.atomic(durable=True):
        ImportRow.objects.filter(batch=b).delete()
        ImportBatch.objects.filter(pk=b.pk).update(
            rows_total=len(rows), progress_total=len(rows), progress_done=0
        )
    done = 0
    for start in range(0, len(rows), VALIDATE_CHUNK):
        chunk = rows[start : start + VALIDATE_CHUNK]
        checker.check(chunk)
        done += len(chunk)
        with transaction.atomic(durable=True):
            ImportRow.objects.bulk_create(
                [
                    ImportRow(
                        batch=b,
                        row_number=r.number,
                        kind=r.kind[:200],
                        kind_code=r.kind_code,
                        target=r.target[:200],
                        close_kind=r.close_kind_code or r.close_kind[:200],
                        reason=r.reason[:1000],
                        status=ImportRow.Status.INVALID if r.errors else ImportRow.Status.VALID,
                        errors=r.errors,
                    )
                    for r in chunk
                ]
            )
            ImportBatch.objects.filter(pk=b.pk).update(progress_done=done)
    invalid = sum(1 for r in rows if r.errors)
    with transaction.atomic(durable=True):
        b = get_batch(batch_id, lock=True)
        b.status, b.validated_at = S.VALIDATED, now
        b.valid_count, b.invalid_count = len(rows) - invalid, invalid
        b.save(update_fields=["status", "validated_at", "valid_count", "invalid_count"])
        _audit(b, actor=None, action="validate", now=now, rows=len(rows), invalid=invalid)
    return b


# -- confirm and create --------------------------------------------------------------
@transaction.atomic(durable=True)
def import_confirm(*, actor: User, batch_id: uuid.UUID | str, now: dt.datetime) -> ImportBatch:
    """The user has seen the preview: create an order of each valid row (a background
    job).  Raises ImportStateConflict (not validated, or confirmed already),
    NothingToImport, ImportNotFound, PermissionDenied."""
    from .. import tasks

    access.require(actor, perms.ORDER_CREATE)
    b = get_batch(batch_id, lock=True)
    if b.status != ImportBatch.Status.VALIDATED:
        raise ImportStateConflict(action="confirm", status=b.status)
    if not b.valid_count:
        raise NothingToImport()
    b.status, b.confirmed_by, b.confirmed_at = ImportBatch.Status.CREATING, actor, now
    b.progress_total, b.progress_done = b.valid_count, 0
    b.save(
        update_fields=["status", "confirmed_by", "confirmed_at", "progress_total", "progress_done"]
    )
    _audit(b, actor=actor, action="confirm", now=now, batch_id=str(b.batch_id))
    tasks.create_import_orders.enqueue(str(b.public_id))
    return b


def _refusal(exc: DomainError) -> dict[str, Any]:
    if isinstance(exc, ValidationFailed) and exc.errors:
        detail = "; ".join(str(e.message) for e in exc.errors)
    else:
        detail = str(exc.detail or exc.title)
    return {"field": "target", "rule": "refused", "params": {"code": exc.code, "detail": detail}}


def _targets(rows: list[ImportRow]) -> tuple[dict[str, Client], dict[str, Account]]:
    clients = {
        c.client_no: c
        for c in Client.objects.filter(
            client_no__in=[r.target for r in rows if r.kind_code.endswith("_client")]
        )
    }
    accounts = {
        a.number: a
        for a in Account.objects.select_related("client").filter(
            number__in=[r.target for r in rows if r.kind_code.endswith("_account")]
        )
    }
    return clients, accounts


def _create_chunk(b: ImportBatch, actor: User, now: dt.datetime) -> int:
    """Orders of the next chunk of valid rows, created and submitted to their approval
    flow in one transaction, a savepoint a row: a row the services refuse leaves nothing
    behind.  Returns the rows handled (0: none left)."""
    with transaction.atomic(durable=True), approvals.policies_memoised():
        rows = list(
            ImportRow.objects.select_for_update()
            .filter(batch=b, status=ImportRow.Status.VALID)
            .order_by("row_number")[:CREATE_CHUNK]
        )
        if not rows:
            return 0
        clients, accounts = _targets(rows)
        numbers = iter(orders.reserve_numbers(len(rows)))
        for row in rows:
            try:
                with transaction.atomic():
                    if row.kind_code.endswith("_client"):
                        client, targets = clients[row.target], []
                    else:
                        account = accounts[row.target]
                        client, targets = account.client, [account]
                    fields = (
                        {"close_kind": row.close_kind} if row.kind_code == "close_client" else {}
                    )
                    order = orders.order_create_within(
                        actor=actor,
                        kind=row.kind_code,
                        client=client,
                        accounts=targets,
                        reason=row.reason,
                        fields=fields,
                        channel=WorkOrder.Channel.IMPORT,
                        batch_id=b.batch_id,
                        number=next(numbers),
                        now=now,
                    )
                    order = orders.order_submit_within(
                        actor=actor, order_id=order.public_id, now=now
                    )
            except KeyError:  # the target disappeared since the check (cannot happen today)
                row.status = ImportRow.Status.FAILED
                rule = "unknown_client" if row.kind_code.endswith("_client") else "unknown_account"
                row.errors = [{"field": "target", "rule": rule, "params": {}}]
            except DomainError as exc:
                row.status, row.errors = ImportRow.Status.FAILED, [_refusal(exc)]
            else:
                row.status, row.order_number = ImportRow.Status.CREATED, order.number
        ImportRow.objects.bulk_update(rows, ["status", "errors", "order_number"])
        # an order its flow approves at once is executed after the commit (on_commit)
    return len(rows)


def import_create(*, batch_id: str, now: dt.datetime) -> ImportBatch:
    """Make an order of each valid row of a confirmed import and submit it to its
    approval flow; a row the services refuse now (its target changed since the check)
    is kept as not created, with the refusal.  Goes on where it stopped if interrupted."""
    b = get_batch(batch_id)
    actor = b.confirmed_by
    if b.status != ImportBatch.Status.CREATING or actor is None:
        return b
    done = ImportRow.objects.filter(batch=b).exclude(
        status__in=(ImportRow.Status.VALID, ImportRow.Status.INVALID)
    )
    while True:
        ImportBatch.objects.filter(pk=b.pk).update(progress_done=done.count())
        if not _create_chunk(b, actor, now):
            break
    with transaction.atomic(durable=True):
        b = get_batch(batch_id, lock=True)
        if b.status == ImportBatch.Status.CREATING:
            counts = dict(
                ImportRow.objects.filter(batch=b)
                .values_list("status")
                .annotate(n=Count("id"))
                .values_list("status", "n")
            )
            b.created_count = counts.get(ImportRow.Status.CREATED, 0)
            b.failed_count = counts.get(ImportRow.Status.FAILED, 0)
            b.progress_done = b.created_count + b.failed_count
            b.status, b.finished_at = ImportBatch.Status.DONE, now
            b.save()
            _audit(
                b,
                actor=actor,
                action="create",
                now=now,
                created=b.created_count,
                failed=b.failed_count,
            )
    return b
