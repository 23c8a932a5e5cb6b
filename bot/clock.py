"""An injectable clock, so that tests can travel in time. Only aware datetimes exist here."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


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
