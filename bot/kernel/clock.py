"""An injectable clock, so that tests can travel in time. Only aware datetimes exist here."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Protocol

SHIFT_ENV = "HOTLINE_CLOCK_SHIFT"


class Clock(Protocol):
    """Anything that tells the current time as an aware datetime."""

    def now(self) -> datetime:
        """The current instant, timezone-aware."""
        ...


class SystemClock:
    """The real wall clock, in UTC."""

    def now(self) -> datetime:
        """The current instant in UTC."""
        return datetime.now(UTC)


class ShiftedClock:
    """The wall clock moved by a fixed offset: time runs at real speed from another date.

    For tests and demos of a whole running bot: its days, office hours and digests follow
    a chosen date instead of the day the machine happens to run on. A restart that keeps
    the offset continues where the last run's clock was."""

    def __init__(self, offset: timedelta) -> None:
        self.offset = offset

    @classmethod
    def starting_at(cls, at: datetime) -> ShiftedClock:
        """A clock that reads `at` now and runs on from there."""
        return cls(require_aware(at) - datetime.now(UTC))

    def now(self) -> datetime:
        """The wall clock's instant plus the offset, in UTC."""
        return datetime.now(UTC) + self.offset


class FrozenClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, at: datetime) -> None:
        require_aware(at)
        self._now = at

    def now(self) -> datetime:
        """The instant the clock was set to."""
        return self._now

    def set(self, at: datetime) -> None:
        """Jump to `at`."""
        require_aware(at)
        self._now = at

    def advance(self, by: timedelta) -> None:
        """Move forward by `by`."""
        self._now += by


def require_aware(at: datetime) -> datetime:
    """Return `at`, or raise ValueError for a naive datetime (they have no place here)."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"naive datetime not allowed: {at.isoformat()}")
    return at


def clock_from_environ(environ: Mapping[str, str] | None = None) -> Clock:
    """The system clock, or a ShiftedClock when HOTLINE_CLOCK_SHIFT gives seconds to add
    (tests and demos running the bot as a process; a bad value is refused, not ignored)."""
    env = os.environ if environ is None else environ
    raw = env.get(SHIFT_ENV, "").strip()
    if not raw:
        return SystemClock()
    try:
        seconds = float(raw)
    except ValueError:
        raise ValueError(f"{SHIFT_ENV} must be a number of seconds, not {raw!r}") from None
    return ShiftedClock(timedelta(seconds=seconds))
