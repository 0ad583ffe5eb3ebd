"""`custodesk init --password`: the given password is temporary too, and --help says so."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from custodesk.identity.models import User
from custodesk.testing.fixtures import PASSWORD


@pytest.mark.django_db
def test_a_password_given_to_init_must_be_changed_at_first_sign_in():
    out = io.StringIO()
    call_command("init", username="root", password=PASSWORD, skip_migrate=True, stdout=out)
    root = User.objects.get(username="root")
    assert root.check_password(PASSWORD) and root.must_change_password
    assert "must be changed at the first sign-in" in out.getvalue()


def test_init_help_says_the_given_password_is_temporary():
    from custodesk.identity.management.commands.init import Command

    parser = Command().create_parser("custodesk", "init")
    text = " ".join(parser.format_help().split()).replace("sign- in", "sign-in")
    assert "must change the password at the first sign-in" in text
    assert "known to the operator" in text
