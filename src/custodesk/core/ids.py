"""Opaque public identifiers (UUIDv7).

Rows keep their integer primary key for joins and locking order; what leaves
the system (API, URLs, exports) is a UUIDv7: time-ordered, so indexes stay
compact, and unguessable enough that ids cannot be enumerated.  Python 3.11's
``uuid`` module has no ``uuid7`` (it arrives in 3.14); this is the RFC 9562
layout, 48-bit millisecond timestamp + 74 random bits.
"""

from __future__ import annotations

import os
import time
import uuid


def uuid7() -> uuid.UUID:
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    rand_a = rand >> 62 & 0xFFF
    rand_b = rand & ((1 << 62) - 1)
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b
    return uuid.UUID(int=value)


def parse_public_id(value: str | uuid.UUID) -> uuid.UUID | None:
    """The UUID in ``value``, or None when it is not one (callers report not found)."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (ValueError, AttributeError):
        return None
