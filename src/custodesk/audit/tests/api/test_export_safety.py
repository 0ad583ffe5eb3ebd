"""Operation-record downloads are safe to open (X-EXPORT): formulas and control characters
stored in reasons and names come out as inert text, through the API and the console."""

from __future__ import annotations

import pytest
from django.db import transaction

from custodesk.audit.services import record
from custodesk.testing.exports import csv_rows, formula_cells, payloads, xlsx_cells
from custodesk.testing.fixtures import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

HOSTILE_NAME = "Eve\x1b Evil"


def _store_reason(api, admin, clock, payload: str) -> None:
    """The payload as the reason of an unfreeze, through the API.  Where the API refuses
    it (input bounds), the row is one stored before they existed: written by the audit
    writer itself, as the service did then."""
    placed = api.post(
        "/ledger/accounts/M-001/freezes", json={"kind": "full", "reason_code": "TEST"}
    )
    assert placed.status_code == 201, placed.text
    released = api.post(f"/ledger/freezes/{placed.json()['id']}/release", json={"reason": payload})
    assert released.status_code in (200, 422), released.text
    if released.status_code == 422:
        with transaction.atomic():
            record(actor=admin, action="ledger.unfreeze", object_type="ledger_account",
                   object_repr="M-001 HKD", reason=payload, now=clock.now())  # fmt: skip


@pytest.fixture
def stored(api_client, admin, make_user, clock):
    """Every payload stored as an unfreeze reason; a user whose full name holds an ESC."""
    api = api_client()
    assert api.sign_in("admin").status_code == 200
    assert (
        api.post(
            "/ledger/accounts", json={"code": "M-001", "kind": "member_sub", "currency": "HKD"}
        ).status_code
        == 201
    )
    hostile = payloads(max_length=200)
    for payload in hostile:
        _store_reason(api, admin, clock, payload)
    make_user("eve", full_name=HOSTILE_NAME)
    return api, hostile


def _check_csv(body: bytes, hostile: dict[str, tuple[str, str]]) -> None:
    header, *rows = csv_rows(body)
    reason = header.index("reason")
    action = header.index("action")
    reasons = [r[reason] for r in rows if r[action] == "ledger.unfreeze"]
    assert sorted(reasons) == sorted(csv_text for csv_text, _ in hostile.values())
    # the name is in the record of the user's creation (JSON: control characters escaped)
    created = [r for r in rows if r[action] == "user.create" and r[header.index("object")] == "eve"]
    assert '"full_name": "Eve\\u001b Evil"' in created[0][header.index("after")]


def _check_xlsx(body: bytes, hostile: dict[str, tuple[str, str]]) -> None:
    header, *rows = xlsx_cells(body)
    assert formula_cells(rows) == []
    names = [c.value for c in header]
    reason, action = names.index("reason"), names.index("action")
    cells = [r[reason] for r in rows if r[action].value == "ledger.unfreeze"]
    assert sorted(c.value for c in cells) == sorted(x for _, x in hostile.values())
    assert all(c.data_type == "s" for c in cells)
    # seq stays a number
    assert all(r[names.index("seq")].data_type == "n" for r in rows)


def test_api_exports_of_hostile_text_open_safely(stored):
    api, hostile = stored
    as_csv = api.get("/audit/export", params={"format": "csv"})
    assert as_csv.status_code == 200
    assert as_csv.headers["content-type"].startswith("text/csv")
    _check_csv(as_csv.content, hostile)

    as_xlsx = api.get("/audit/export", params={"format": "xlsx"})
    assert as_xlsx.status_code == 200
    assert as_xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    _check_xlsx(as_xlsx.content, hostile)


def test_console_exports_of_hostile_text_open_safely(stored, client):
    _, hostile = stored
    client.post("/console/sign-in/", {"username": "admin", "password": PASSWORD})
    as_csv = client.get("/console/audit/", {"export": "csv"})
    assert as_csv.status_code == 200 and as_csv.streaming
    _check_csv(as_csv.getvalue(), hostile)

    as_xlsx = client.get("/console/audit/", {"export": "xlsx"})
    assert as_xlsx.status_code == 200
    _check_xlsx(as_xlsx.getvalue(), hostile)
