"""Approval-request downloads are safe to open (X-EXPORT): formulas and control
characters in reject reasons come out as inert text, through the API and the console."""

from __future__ import annotations

import pytest

from custodesk.approvals import flows, services
from custodesk.approvals.models import ApprovalRequest
from custodesk.testing.actions import PAYMENT
from custodesk.testing.exports import csv_rows, formula_cells, payloads, xlsx_cells
from custodesk.testing.fixtures import PASSWORD
from custodesk.testing.governance import configure_flow

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def rejected(api_client, admin, make_user, clock):
    """admin asks for one payment per payload; admin2 rejects each, the payload its reason.
    Where the API refuses a reason (input bounds), the request is one rejected before
    they existed: rejected with a plain reason, then given the payload as it was stored."""
    make_user("admin2", roles=["admin"])
    configure_flow(
        actor=admin,
        action_type=PAYMENT,
        mode="review",
        levels=[flows.LevelInput(role_codes=["admin"])],
        now=clock.now(),
    )
    checker = api_client()
    assert checker.sign_in("admin2").status_code == 200
    hostile = payloads(max_length=200)
    for i, payload in enumerate(hostile, start=1):
        req = services.submit(
            actor=admin,
            action_type=PAYMENT,
            payload={"reference": f"P-{i}", "amount": f"{i}.00", "currency": "HKD"},
            now=clock.now(),
        ).request
        url = f"/approvals/requests/{req.public_id}/reject"
        r = checker.post(url, json={"reason": payload})
        assert r.status_code in (200, 422), r.text
        if r.status_code == 422:
            assert checker.post(url, json={"reason": "plain"}).status_code == 200
            ApprovalRequest.objects.filter(pk=req.pk).update(reject_reason=payload)
    # the service strips a reason's surrounding white space ("\t=1+2" is kept as "=1+2"):
    # what is stored is what must come out safely
    stored = ApprovalRequest.objects.filter(status="rejected").values_list(
        "reject_reason", flat=True
    )
    return checker, [hostile[reason] for reason in stored]


def _check_csv(body: bytes, expected: list[tuple[str, str]]) -> None:
    header, *rows = csv_rows(body)
    reasons = [r[header.index("reject_reason")] for r in rows]
    assert sorted(reasons) == sorted(csv_text for csv_text, _ in expected)


def _check_xlsx(body: bytes, expected: list[tuple[str, str]]) -> None:
    header, *rows = xlsx_cells(body)
    assert formula_cells(rows) == []
    column = [c.value for c in header].index("reject_reason")
    assert sorted(r[column].value for r in rows) == sorted(x for _, x in expected)


def test_api_exports_of_hostile_reasons_open_safely(rejected):
    checker, expected = rejected
    params = {"box": "done"}
    as_csv = checker.get("/approvals/requests/export", params={**params, "format": "csv"})
    assert as_csv.status_code == 200
    _check_csv(as_csv.content, expected)
    as_xlsx = checker.get("/approvals/requests/export", params={**params, "format": "xlsx"})
    assert as_xlsx.status_code == 200
    _check_xlsx(as_xlsx.content, expected)


def test_console_exports_of_hostile_reasons_open_safely(rejected, client):
    _, expected = rejected
    client.post("/console/sign-in/", {"username": "admin2", "password": PASSWORD})
    as_csv = client.get("/console/approvals/", {"box": "done", "export": "csv"})
    assert as_csv.status_code == 200
    _check_csv(as_csv.getvalue(), expected)
    as_xlsx = client.get("/console/approvals/", {"box": "done", "export": "xlsx"})
    assert as_xlsx.status_code == 200
    _check_xlsx(as_xlsx.getvalue(), expected)
