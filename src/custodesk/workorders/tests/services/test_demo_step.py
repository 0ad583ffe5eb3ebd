"""The work-order centre's demo step: orders pending, executed, rejected and automatic."""

from __future__ import annotations

import pytest

from custodesk.brokerage import demo as brokerage_demo
from custodesk.core.modules import DemoRun
from custodesk.identity import demo as identity_demo
from custodesk.workorders import demo
from custodesk.workorders.models import WorkOrder

pytestmark = pytest.mark.django_db


def test_the_demo_orders(clock):
    run = DemoRun(now=clock.now(), business_date=clock.now().date())
    identity_demo.seed(run)
    brokerage_demo.seed(run)
    demo.seed(run)
    statuses = sorted(WorkOrder.objects.values_list("status", flat=True))
    assert statuses == ["executed", "executed", "rejected", "submitted", "submitted"]
    assert "Work-order centre: 5 orders, 2 waiting" in demo.notes()
