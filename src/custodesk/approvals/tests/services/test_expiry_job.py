import io

import pytest
from django.core.management import call_command

from custodesk.approvals import flows, services
from custodesk.approvals.models import ApprovalRequest
from custodesk.approvals.tasks import expire_requests
from custodesk.testing.actions import PAYMENT
from custodesk.testing.governance import configure_flow

pytestmark = pytest.mark.django_db


def test_expiry_by_command_and_task(admin, make_user, clock):
    make_user("admin2", roles=["admin"])
    configure_flow(
        actor=admin,
        action_type=PAYMENT,
        mode="review",
        expiry_hours=2,
        levels=[flows.LevelInput(role_codes=["admin"])],
        now=clock.now(),
    )
    first = services.submit(
        actor=admin,
        action_type=PAYMENT,
        payload={"reference": "E-1", "amount": "1"},
        now=clock.now(),
    ).request
    clock.advance(hours=1)
    second = services.submit(
        actor=admin,
        action_type=PAYMENT,
        payload={"reference": "E-2", "amount": "1"},
        now=clock.now(),
    ).request
    clock.advance(hours=1)  # first is due (2 h), second not yet
    out = io.StringIO()
    call_command("approvals", "expire", stdout=out)
    assert "1 request(s) expired" in out.getvalue()
    assert ApprovalRequest.objects.get(pk=first.pk).status == "expired"
    assert ApprovalRequest.objects.get(pk=second.pk).status == "pending"
    clock.advance(hours=1)
    assert expire_requests.call() == 1
    assert ApprovalRequest.objects.get(pk=second.pk).status == "expired"
    assert [a.kind for a in ApprovalRequest.objects.get(pk=second.pk).actions.all()] == [
        "submit",
        "expire",
    ]
