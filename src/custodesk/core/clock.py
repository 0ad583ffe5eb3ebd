"""The injectable clock.

The domain never reads the wall clock itself: services take ``now`` as an
argument, and the interfaces (API, console, CLI, tasks) ask this module for it.
Tests replace the clock with a :class:`FixedClock` they can move, including the
**business date**, which may differ from the calendar date (a custody day stays
open until end-of-day processing rolls it).
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Protocol

from django.utils import timezone


class Clock(Protocol):
    def now(self) -> dt.datetime: ...

    def business_date(self) -> dt.date: ...


class SystemClock:
    """Wall-clock time; the business date is the local calendar date."""

    def now(self) -> dt.datetime:
        return timezone.now()

    def business_date(self) -> dt.date:
        return timezone.localdate(self.now())


class FixedClock:
    """A clock that only moves when told to (tests, replays, demos)."""

    def __init__(self, at: dt.datetime, business_date: dt.date | None = None) -> None:
        if timezone.is_naive(at):
            raise ValueError("FixedClock needs an aware datetime")
        self._now = at
        self._business_date = business_date

    def now(self) -> dt.datetime:
        return self._now

    def business_date(self) -> dt.date:
        return self._business_date or timezone.localdate(self._now)

    def advance(self, **delta: float) -> dt.datetime:
        self._now = self._now + dt.timedelta(**delta)
        return self._now

    def set(self, at: dt.datetime) -> None:
        self._now = at

    def set_business_date(self, day: dt.date | None) -> None:
        self._business_date = day


_lock = threading.Lock()
_clock: Clock = SystemClock()


def get_clock() -> Clock:
    return _clock


def set_clock(clock: Clock) -> Clock:
    """Install ``clock`` process-wide and return the previous one."""
    global _clock
    with _lock:
        previous, _clock = _clock, clock
    return previous


def now() -> dt.datetime:
    return _clock.now()


def business_date() -> dt.date:
    return _clock.business_date()
