"""Human numbers with a Luhn check digit, never issued twice.

* client number: 7-digit serial from 1000001 + check digit → 8 digits (``10000018``);
* account number: 8-digit serial from 10000001 + check digit → 9 digits (``100000017``).

The lengths differ so that one is never taken for the other; the check digit (Luhn,
ISO/IEC 7812, as on bank cards) catches every single-digit typo and most transpositions.
Serials come from :class:`NumberSequence` rows bumped under ``select_for_update``: they
only grow, so a closed account's number is never given again.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from stdnum import luhn

from ..models import NumberSequence

CLIENT = "client"
ACCOUNT = "account"
_START = {CLIENT: 1_000_000, ACCOUNT: 10_000_000}
_LENGTH = {CLIENT: 8, ACCOUNT: 9}


def with_check_digit(serial: int) -> str:
    body = str(serial)
    return body + luhn.calc_check_digit(body)


def is_valid(kind: str, number: str) -> bool:
    return len(number) == _LENGTH[kind] and number.isdigit() and luhn.is_valid(number)


def reserve(kind: str, count: int = 1) -> list[str]:
    """``count`` new numbers of ``kind``.  Runs in the caller's transaction (the sequence
    row stays locked until it commits, so concurrent openings queue here)."""
    row = NumberSequence.objects.select_for_update().filter(name=kind).first()
    if row is None:
        try:
            with transaction.atomic():
                NumberSequence.objects.create(name=kind, last_value=_START[kind])
        except IntegrityError:
            pass  # created concurrently
        row = NumberSequence.objects.select_for_update().get(name=kind)
    first = row.last_value + 1
    row.last_value += count
    row.save(update_fields=["last_value"])
    return [with_check_digit(s) for s in range(first, first + count)]
