"""The members' demo step: one enterprise and one individual member, one application
waiting for the counter, the counter clerk able to review it."""

import pytest

from custodesk.core import demo
from custodesk.identity.models import User
from custodesk.members.models import BoundCard, EnterpriseApplication, MemberProfile

pytestmark = pytest.mark.django_db


def test_the_demo_has_members_and_a_waiting_application():
    assert demo.seed(if_new=True) is True
    types = sorted(MemberProfile.objects.values_list("member_type", flat=True))
    assert types == ["enterprise", "individual"]
    assert BoundCard.objects.filter(status="current").count() == 1
    assert EnterpriseApplication.objects.filter(status="submitted").count() == 1
    assert User.objects.get(username="counter").has_permission("members.application.review")
    assert "Registration applications" in demo.notes()
