"""Finding transfers by idempotency key or by metadata: the right rows, and on
PostgreSQL through an index (no table scan)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from custodesk.ledger import selectors, services
from custodesk.ledger.services import TransferSpec

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked(clock: Any) -> dict[str, str]:
    """Transfers with and without keys and metadata; name → public id."""

    def account(code: str) -> int:
        return services.account_open(
            actor=None, code=code, kind="member_sub", currency="HKD", now=clock.now()
        ).pk

    a, b = account("A"), account("B")
    ids = {}
    for name, key, metadata in [
        ("plain", None, {}),
        ("keyed", "k-1", {}),
        ("ref-1", None, {"ref": "R-1", "desk": "HK"}),
        ("ref-2", "k-2", {"ref": "R-2"}),
        ("list", None, {"ref": ["R-1", "R-2"]}),
        ("number", None, {"ref": 1}),
    ]:
        spec = TransferSpec(a, b, 100, "HKD", idempotency_key=key, metadata=metadata)
        out = services.book_one(spec, now=clock.now(), business_date=clock.business_date())
        assert out.ok and out.transfer is not None
        ids[name] = out.transfer["id"]
    return ids


def _found(admin: Any, booked: dict[str, str], **filters: Any) -> set[str]:
    by_id = {v: k for k, v in booked.items()}
    return {by_id[str(t.public_id)] for t in selectors.transfers(actor=admin, filters=filters)}


def test_transfers_are_found_by_key_and_by_metadata(booked, admin):
    assert _found(admin, booked, idempotency_key="k-1") == {"keyed"}
    assert _found(admin, booked, idempotency_key="nope") == set()
    assert _found(admin, booked, metadata_key="ref", metadata_value="R-1") == {"ref-1"}
    assert _found(admin, booked, metadata_key="desk", metadata_value="HK") == {"ref-1"}
    assert _found(admin, booked, metadata_key="ref", metadata_value="1") == set()  # a string, not 1
    assert _found(admin, booked, metadata_key="ref") == {"ref-1", "ref-2", "list", "number"}
    assert _found(admin, booked, metadata_key="nope") == set()
    assert _found(admin, booked, metadata_key="ref", idempotency_key="k-2") == {"ref-2"}


@pytest.mark.parametrize(
    ("filters", "index"),
    [
        ({"metadata_key": "ref", "metadata_value": "R-1"}, "ledger_transfer_metadata"),
        ({"metadata_key": "ref"}, "ledger_transfer_metadata"),
        ({"idempotency_key": "k-1"}, "ledger_transfer_idempotency_key_unique"),
    ],
)
def test_the_lookups_can_be_answered_from_an_index(booked, admin, filters, index):
    """With sequential scans and plain index scans ruled out, PostgreSQL can still answer
    through a bitmap scan of the index, so the index serves the query as asked (a
    condition it did not match would leave only the table scan)."""
    if connection.vendor != "postgresql":
        pytest.skip("the indexes are PostgreSQL's (SQLite reads the table for metadata)")
    with CaptureQueriesContext(connection) as seen:
        selectors.transfers(actor=admin, filters=filters)  # staff: every transfer
    [query] = [q["sql"] for q in seen.captured_queries if 'FROM "ledger_transfer"' in q["sql"]]
    with connection.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("SET LOCAL enable_indexscan = off")
        cur.execute(f"EXPLAIN {query}")
        plan = "\n".join(r[0] for r in cur.fetchall())
    assert f"Bitmap Index Scan on {index}" in plan, plan
