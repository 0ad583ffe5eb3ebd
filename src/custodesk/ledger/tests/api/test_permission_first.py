"""A caller without the ledger permission learns nothing of what exists: freeze, close,
post and void answer 403 whether the account or hold exists or not (the permission is
checked before the lookup), and each refusal is kept as a security event."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from custodesk.identity.models import SecurityEvent
from custodesk.ledger import services

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def hold(admin: Any, api_client: Any, clock: Any) -> str:
    for code in ("SRC", "DST"):
        services.account_open(actor=admin, code=code, kind="member_sub", currency="HKD",
                              now=clock.now())  # fmt: skip
    staff = api_client()
    assert staff.sign_in("admin").status_code == 200
    held = staff.post("/ledger/transfers", json={
        "debit_account": "SRC", "credit_account": "DST", "amount": "50.00", "currency": "HKD",
        "pending": True, "timeout_seconds": 3600,
    })  # fmt: skip
    assert held.status_code == 201, held.text
    return str(held.json()["id"])


def test_freeze_close_post_and_void_answer_403_for_what_exists_and_what_does_not(
    api_client: Any, make_user: Any, hold: str
):
    make_user("olive", roles=["operator"])
    olive = api_client()
    assert olive.sign_in("olive").status_code == 200
    missing = str(uuid.uuid4())
    for existing, unknown, body in [
        ("/ledger/accounts/SRC/freezes", "/ledger/accounts/NOPE/freezes",
         {"kind": "full", "reason_code": "court"}),
        ("/ledger/accounts/SRC/close", "/ledger/accounts/NOPE/close", {"reason": "done"}),
        (f"/ledger/transfers/{hold}/void", f"/ledger/transfers/{missing}/void", {}),
        (f"/ledger/transfers/{hold}/post", f"/ledger/transfers/{missing}/post", {}),
        ("/ledger/transfers", "/ledger/transfers",
         {"debit_account": "SRC", "credit_account": "NOPE", "amount": "1.00",
          "currency": "HKD"}),
    ]:  # fmt: skip
        answers = [olive.post(path, json=body) for path in (existing, unknown)]
        assert [a.status_code for a in answers] == [403, 403], (existing, answers[1].text)
        assert answers[0].json()["code"] == answers[1].json()["code"] == "permission_denied"
    events = SecurityEvent.objects.filter(username="olive", reason="permission_denied")
    assert events.count() == 10
    assert set(events.values_list("detail", flat=True)) == {
        "ledger.account.freeze",
        "ledger.account.manage",
        "ledger.transfer.create",
    }
    assert all(e.route.startswith("POST /api/v1/ledger/") for e in events)
