"""The funds' demo step: a confirmed deposit and a withdrawal waiting with its hold."""

import pytest

from custodesk.core import demo
from custodesk.funds.models import FundLimit, FundMovement

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_deposit_and_a_withdrawal_to_review():
    assert demo.seed(if_new=True) is True
    dep = FundMovement.objects.get(direction="deposit")
    assert (dep.status, dep.amount) == ("succeeded", 5_000_000)
    wd = FundMovement.objects.get(direction="withdrawal")
    assert wd.status == "submitted" and wd.hold_transfer_id is not None
    assert FundLimit.objects.get().per_transaction == 100_000_000
    assert "mingzhu.reviewer" in demo.notes()
