"""The brokerage step of ``custodesk demo``: a believable book, built through the services."""

from __future__ import annotations

import pytest

from custodesk.approvals.models import ApprovalRequest
from custodesk.brokerage import demo
from custodesk.brokerage.models import Account, CashMovement, Client, ClientLoginDevice
from custodesk.brokerage.services import app_login
from custodesk.core.modules import DemoRun
from custodesk.identity import demo as identity_demo

pytestmark = pytest.mark.django_db


def test_the_demo_book(clock):
    run = DemoRun(now=clock.now(), business_date=clock.now().date())
    identity_demo.seed(run)
    demo.seed(run)

    assert Client.objects.count() >= 300
    assert set(Client.objects.values_list("kind", flat=True)) == {
        "individual",
        "corporate",
        "joint",
    }
    assert set(Client.objects.values_list("id_type", flat=True)) >= {
        "hkid",
        "national_id",
        "passport",
        "lei",
    }
    assert Client.objects.exclude(name_zh="").count() > 200
    assert Account.objects.filter(parent__isnull=False).exists()  # sub-accounts
    assert Account.objects.filter(frozen=True).count() == 4
    assert CashMovement.objects.filter(status="completed").count() == 40
    assert ClientLoginDevice.objects.count() >= 200
    pending = set(
        ApprovalRequest.objects.filter(status="pending").values_list("action_type", flat=True)
    )
    assert {"brokerage.account_open", "brokerage.cash_deposit"} <= pending
    # the notes' login works in the client app
    login = demo.notes().split("e.g. ")[1].split(" /")[0]
    out = app_login.client_sign_in(
        login_name=login, password=demo.APP_PASSWORD, device=app_login.Device(), now=clock.now()
    )
    assert out.ok
