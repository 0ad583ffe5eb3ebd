"""Creating an import's orders: a row whose target changed between the check and the
confirmation is kept "not created" with the refusal (and is in the errors file), and
leaves nothing behind; a run stopped between chunks goes on where it stopped."""

from __future__ import annotations

import pytest

from custodesk.testing.workorder_imports import csv_bytes, freeze_account, run_jobs
from custodesk.workorders.imports import selectors
from custodesk.workorders.imports import services as imports
from custodesk.workorders.imports.models import ImportBatch, ImportRow
from custodesk.workorders.models import WorkOrder

pytestmark = pytest.mark.django_db


def _validated(admin, clock, rows):
    up = imports.import_upload(actor=admin, name="f.csv", content=csv_bytes(rows), now=clock.now())
    run_jobs()
    b = ImportBatch.objects.get(pk=up.batch.pk)
    assert b.status == "validated"
    return b


def test_a_target_changed_since_the_check_is_not_created_and_named(
    admin, checker, make_client, clock
):
    _c, [a1, a2] = make_client(accounts=2)
    b = _validated(admin, clock, [["close_account", a1.number, "", "r"],
                                  ["close_account", a2.number, "", "r"]])  # fmt: skip
    assert b.valid_count == 2
    freeze_account(admin, checker, a2, now=clock.now())  # after the preview
    imports.import_confirm(actor=admin, batch_id=b.public_id, now=clock.now())
    run_jobs()
    b.refresh_from_db()
    assert (b.status, b.created_count, b.failed_count) == ("done", 1, 1)
    row = ImportRow.objects.get(batch=b, row_number=3)
    assert row.status == "failed" and row.errors[0]["params"]["code"] == "invalid_transition"
    _b, lines = selectors.import_error_rows(actor=admin, batch_id=b.public_id)
    [line] = list(lines)
    assert line[0] == 3 and line[-1].startswith("Not created: ")
    assert WorkOrder.objects.filter(batch_id=b.batch_id).count() == 1


def test_a_run_stopped_between_chunks_goes_on_where_it_stopped(
    admin, make_client, clock, monkeypatch
):
    """Each chunk's orders are created and submitted in one transaction: a run stopped
    after a chunk leaves no draft behind, and going on creates only the rest."""
    monkeypatch.setattr(imports, "CREATE_CHUNK", 2)
    clients = [make_client(accounts=0)[0] for _ in range(3)]
    b = _validated(admin, clock, [["close_client", c.client_no, "normal", "r"] for c in clients])
    imports.import_confirm(actor=admin, batch_id=b.public_id, now=clock.now())
    b.refresh_from_db()
    # the run stopped right after its first chunk
    assert imports._create_chunk(b, admin, clock.now()) == 2
    assert list(WorkOrder.objects.values_list("status", flat=True)) == ["submitted"] * 2
    assert ImportRow.objects.filter(batch=b, status="valid").count() == 1
    run_jobs()
    b.refresh_from_db()
    assert (b.status, b.created_count, b.failed_count) == ("done", 3, 0)
    assert sorted(WorkOrder.objects.values_list("client__client_no", "status")) == sorted(
        (c.client_no, "submitted") for c in clients
    )
