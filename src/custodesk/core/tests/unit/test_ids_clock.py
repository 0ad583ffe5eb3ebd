import datetime as dt
import uuid
import zoneinfo

import pytest

from custodesk.core import clock as clock_module
from custodesk.core.clock import FixedClock
from custodesk.core.ids import parse_public_id, uuid7


def test_uuid7_layout_and_order():
    ids = [uuid7() for _ in range(50)]
    assert all(i.version == 7 and i.variant == uuid.RFC_4122 for i in ids)
    assert len(set(ids)) == 50
    # time-ordered at millisecond granularity: the timestamp prefix never decreases
    prefixes = [i.int >> 80 for i in ids]
    assert prefixes == sorted(prefixes)


def test_parse_public_id():
    u = uuid7()
    assert parse_public_id(str(u)) == u
    assert parse_public_id("not-an-id") is None


def test_fixed_clock_moves_only_when_told(clock: FixedClock):
    start = clock_module.now()
    assert clock_module.now() == start
    clock.advance(minutes=15)
    assert clock_module.now() - start == dt.timedelta(minutes=15)


def test_business_date_defaults_to_local_date_and_can_differ():
    hk = zoneinfo.ZoneInfo("Asia/Hong_Kong")
    # 23:30 UTC on the 22nd is already the 23rd in Hong Kong
    c = FixedClock(dt.datetime(2026, 11, 22, 23, 30, tzinfo=dt.UTC))
    assert c.business_date() == dt.date(2026, 11, 23)
    c.set_business_date(dt.date(2026, 11, 20))
    assert c.business_date() == dt.date(2026, 11, 20)
    with pytest.raises(ValueError):
        FixedClock(dt.datetime(2026, 1, 1))
    assert hk is not None
