"""Test tools of the work-order batch import (WO-IMPORT): files in either format, the
background jobs run as the worker runs them, and targets in every state built through
the services."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from django_tasks_db.models import DBTaskResult
from stdnum import luhn

from custodesk.approvals import services as approvals
from custodesk.brokerage.approvals import ACCOUNT_FREEZE, CLIENT_FREEZE
from custodesk.brokerage.models import Account, Client
from custodesk.workorders.imports import columns

HEADER = {lang: columns.headers(lang) for lang in columns.LANGUAGES}


def xlsx(rows: Sequence[Sequence[Any]], *, language: str = "en") -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(HEADER[language])
    for r in rows:
        ws.append(list(r))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def csv_bytes(rows: Sequence[Sequence[Any]], *, language: str = "en") -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(HEADER[language])
    for r in rows:
        w.writerow(["" if v is None else v for v in r])
    return buf.getvalue().encode("utf-8")


def run_jobs() -> int:
    """Run every enqueued job to the end in this process, as the django-tasks database
    worker (``custodesk worker``) does — claim, call, record the result — but on the
    test's own connection (the worker closes its connections between jobs).  A job
    that fails fails the test.  The number of jobs run."""
    ran = 0
    while True:
        job = DBTaskResult.objects.ready().order_by("enqueued_at", "id").first()
        if job is None:
            return ran
        job.claim("test")
        result = job.task_result
        value = job.task.call(*result.args, **result.kwargs)
        job.set_successful(value)
        ran += 1


def unused_number(kind: str, serial: int) -> str:
    """A well-formed client (8) or account (9) number that is nobody's."""
    body = str(serial)
    assert len(body) == (7 if kind == "client" else 8)
    return body + luhn.calc_check_digit(body)


def freeze_client(maker: Any, checker: Any, c: Client, *, now: Any) -> None:
    sub = approvals.submit(
        actor=maker, action_type=CLIENT_FREEZE,
        payload={"client_id": str(c.public_id), "reason": "test"}, now=now,
    )  # fmt: skip
    approvals.approve(actor=checker, request_id=sub.request.public_id, now=now)


def freeze_account(maker: Any, checker: Any, a: Account, *, now: Any) -> None:
    sub = approvals.submit(
        actor=maker, action_type=ACCOUNT_FREEZE,
        payload={"account_id": str(a.public_id), "reason": "test"}, now=now,
    )  # fmt: skip
    approvals.approve(actor=checker, request_id=sub.request.public_id, now=now)
