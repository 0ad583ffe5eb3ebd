"""Acceptance (WO-IMPORT): a file of 1,000 rows of which 7 are invalid → the preview
names exactly those 7 (row number, field, rule); confirming creates the 993 orders in
one batch, channel "import", submitted for approval; the same file uploaded again is
recognised.  In both formats."""

from __future__ import annotations

import pytest

from custodesk.brokerage import services as brokerage
from custodesk.brokerage.models import Client
from custodesk.testing import brokerage as tb
from custodesk.testing.workorder_imports import (
    csv_bytes,
    freeze_account,
    freeze_client,
    run_jobs,
    unused_number,
)
from custodesk.testing.workorder_imports import xlsx as xlsx_bytes
from custodesk.workorders.imports import services as imports
from custodesk.workorders.imports.models import ImportBatch, ImportRow
from custodesk.workorders.models import WorkOrder

pytestmark = pytest.mark.django_db

ROWS = 1_000


def _clients(admin, n, clock):
    return [tb.individual(admin, now=clock.now(), id_number=tb.hkid(500_000 + i)) for i in range(n)]


def _file_rows(admin, checker, clock):
    """1,000 rows: 993 valid of the four kinds, 7 invalid — each for another reason."""
    now = clock.now()
    frozen_client = tb.individual(admin, now=now, id_number=tb.hkid(900_001))
    freeze_client(admin, checker, frozen_client, now=now)
    owner = tb.individual(admin, now=now, id_number=tb.hkid(900_002))
    to_close, to_unfreeze, closed = (tb.open_account(admin, checker, owner, now=now) for _ in "abc")
    freeze_account(admin, checker, to_unfreeze, now=now)
    brokerage.account_close(actor=admin, account_id=closed.public_id, reason="gone", now=now)
    active_client = tb.individual(admin, now=now, id_number=tb.hkid(900_003))
    other_client = tb.individual(admin, now=now, id_number=tb.hkid(900_004))

    valid = [
        ["Unfreeze client", frozen_client.client_no, "", "Court order lifted"],
        ["close_account", to_close.number, "", "Client asked"],
        ["解凍帳戶", to_unfreeze.number, "", "Cleared"],  # a kind in Chinese
    ]
    valid += [
        ["Close client", c.client_no, "Normal" if i % 2 else "永久", f"Dormant {i}"]
        for i, c in enumerate(_clients(admin, ROWS - 7 - len(valid), clock))
    ]
    invalid = {
        # row number (header = 1) -> (row, field, rule)
        11: (["Close account", unused_number("account", 99_999_990), "", "x"], "target",
             "unknown_account"),
        22: (["close_account", to_close.number, "", "again"], "target", "duplicate"),
        333: (["close_account", closed.number, "", "x"], "target", "closed"),
        444: (["Close client", "", "", ""], "target", "required"),
        555: (["Close account", "12345", "", "x"], "target", "malformed_account"),
        666: (["Unfreeze client", active_client.client_no, "", "x"], "target", "not_frozen"),
        777: (["Close client", other_client.client_no, "normal", " "], "reason", "required"),
    }  # fmt: skip
    rows, it = [], iter(valid)
    for number in range(2, ROWS + 2):
        rows.append(invalid[number][0] if number in invalid else next(it))
    return rows, {n: (f, r) for n, (_row, f, r) in invalid.items()}


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_thousand_rows_seven_invalid_preview_confirm_and_the_same_file_again(
    admin, checker, clock, fmt
):
    rows, expected = _file_rows(admin, checker, clock)
    content = xlsx_bytes(rows) if fmt == "xlsx" else csv_bytes(rows)
    up = imports.import_upload(actor=admin, name=f"close.{fmt}", content=content, now=clock.now())
    assert not up.repeated and up.batch.status == "uploaded"
    run_jobs()

    b = ImportBatch.objects.get(pk=up.batch.pk)
    assert (b.status, b.file_format, b.rows_total) == ("validated", fmt, ROWS)
    assert (b.valid_count, b.invalid_count) == (993, 7)
    assert (b.progress_done, b.progress_total) == (ROWS, ROWS)
    bad = ImportRow.objects.filter(batch=b, status="invalid").order_by("row_number")
    got = {r.row_number: [(e["field"], e["rule"]) for e in r.errors] for r in bad}
    # row 444 has neither target nor reason nor closing kind: all three named
    assert got.pop(444) == [("target", "required"), ("close_kind", "required"),
                            ("reason", "required")]  # fmt: skip
    expected.pop(444)
    assert got == {n: [fr] for n, fr in expected.items()}
    assert ImportRow.objects.get(batch=b, row_number=22).errors[0]["params"] == {"row": 3}
    assert WorkOrder.objects.count() == 0  # nothing is created before the confirmation

    imports.import_confirm(actor=admin, batch_id=b.public_id, now=clock.now())
    run_jobs()
    b.refresh_from_db()
    assert (b.status, b.created_count, b.failed_count) == ("done", 993, 0)
    made = WorkOrder.objects.filter(batch_id=b.batch_id)
    assert made.count() == 993
    assert set(made.values_list("channel", "status", "creator")) == {
        ("import", "submitted", admin.pk)
    }
    assert sorted(set(made.values_list("kind", flat=True))) == [
        "close_account", "close_client", "unfreeze_account", "unfreeze_client"
    ]  # fmt: skip
    assert set(made.filter(kind="close_client").values_list("fields__close_kind", flat=True)) == {
        "normal", "permanent"
    }  # fmt: skip
    created = ImportRow.objects.filter(batch=b, status="created")
    assert created.count() == 993 and "" not in set(created.values_list("order_number", flat=True))
    assert Client.objects.filter(status="closed").count() == 0  # orders wait for approval

    again = imports.import_upload(actor=checker, name="again.bin", content=content, now=clock.now())
    assert again.repeated and again.batch.pk == b.pk
    assert ImportBatch.objects.count() == 1
