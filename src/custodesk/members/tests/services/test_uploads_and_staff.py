"""The wizard's pending archives are swept; staff read members (the card masked)."""

from __future__ import annotations

import datetime as dt
import io
import os
from typing import Any

import pytest

from custodesk.core.errors import PermissionDenied
from custodesk.members import selectors, services, uploads
from custodesk.members.tests.helpers import GOOD_CARD, code_for, individual_fields, real_zip

pytestmark = pytest.mark.django_db


def test_abandoned_pending_archives_are_swept(clock: Any) -> None:
    old = uploads.store_archive(io.BytesIO(real_zip()), "a.zip", pending=True)
    new = uploads.store_archive(io.BytesIO(real_zip()), "b.zip", pending=True)
    old_path = uploads.absolute(old.path, pending=True)
    stamp = (clock.now() - dt.timedelta(hours=25)).timestamp()
    os.utime(old_path, (stamp, stamp))
    uploads.sweep_pending(now=clock.now())
    assert not old_path.exists()
    assert uploads.absolute(new.path, pending=True).exists()
    uploads.discard(new)


def test_paths_outside_the_upload_directory_are_refused() -> None:
    with pytest.raises(FileNotFoundError):
        uploads.absolute("../secret_key")
    with pytest.raises(FileNotFoundError):
        uploads.absolute("uploads/pending/x.zip")  # not the applications' directory


def test_staff_read_members_with_the_card_masked(clock: Any, make_user: Any) -> None:
    fields = individual_fields()
    challenge, code = code_for(fields["phone"], clock=clock)
    member = services.individual_register(
        form=services.IndividualForm(**fields), challenge_id=challenge, sms_code=code,
        now=clock.now(),
    ).member  # fmt: skip
    counter = make_user("counter1", roles=["counter"])
    rows = [selectors.member_row(m) for m in selectors.members(actor=counter, q="Wang")]
    assert [r["public_id"] for r in rows] == [member.public_id]
    assert rows[0]["card"]["number"] == f"{GOOD_CARD[:4]} •••• {GOOD_CARD[-4:]}"
    assert GOOD_CARD not in str(rows)
    assert selectors.member_get(actor=counter, public_id=member.public_id) == member
    with pytest.raises(PermissionDenied):
        selectors.members(actor=make_user("clerk"))
