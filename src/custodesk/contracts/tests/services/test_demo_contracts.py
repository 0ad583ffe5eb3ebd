"""The contracts' demo step: contracts in force with their sub-accounts, a signing
waiting for the enterprise's reviewer."""

import pytest

from custodesk.approvals.models import ApprovalRequest
from custodesk.contracts.models import Contract
from custodesk.core import demo
from custodesk.ledger.models import LedgerAccount

pytestmark = pytest.mark.django_db


def test_the_demo_has_contracts_and_a_signing_to_review():
    assert demo.seed(if_new=True) is True
    contracts = Contract.objects.filter(status="active")
    assert sorted(contracts.values_list("member_code", flat=True)) == ["GB-E-0001", "GB-P-0001"]
    for c in contracts:
        assert LedgerAccount.objects.get(pk=c.sub_ledger_account_id).kind == "member_sub"
    waiting = ApprovalRequest.objects.get(action_type="contracts.sign", status="pending")
    assert "SHMX" in waiting.summary
    assert "mingzhu.reviewer" in demo.notes()
