"""Deadline compliance as a share: kept, out of those that were due (the README defines it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class Share:
    """`hits` out of `total`."""

    hits: int
    total: int

    @property
    def rate(self) -> float | None:
        """hits / total, None without a total."""
        return None if self.total == 0 else self.hits / self.total


class Dated(Protocol):
    """What the share rules read of a ticket (a TicketRow or the report's narrow facts)."""

    @property
    def status(self) -> str: ...
    @property
    def first_response_due_at(self) -> datetime | None: ...
    @property
    def first_responded_at(self) -> datetime | None: ...
    @property
    def resolution_due_at(self) -> datetime | None: ...
    @property
    def resolved_at(self) -> datetime | None: ...
    @property
    def paused_at(self) -> datetime | None: ...


def first_response_kept(t: Dated, now: datetime) -> bool | None:
    """Reacted by the deadline (True) or not (False: late, or overdue at `now`); None when
    it does not count (no deadline, or not due yet, or paused)."""
    due = t.first_response_due_at
    if due is None:
        return None
    if t.first_responded_at is not None:
        return t.first_responded_at <= due
    if due < now and t.paused_at is None:
        return False
    return None


def resolution_kept(t: Dated, now: datetime) -> bool | None:
    """Resolved by the deadline (True) or not (False: late, or overdue at `now`); None when
    it does not count. A ticket waiting for the customer has its clock stopped."""
    due = t.resolution_due_at
    if due is None:
        return None
    if t.resolved_at is not None:
        return t.resolved_at <= due
    if due < now and t.status != "closed" and t.paused_at is None:
        return False
    return None
