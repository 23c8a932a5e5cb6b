"""Deadline compliance as a share: kept, out of those that were due (the README defines it)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from storage.models import TicketRow


@dataclass(frozen=True)
class Share:
    """`hits` out of `total`."""

    hits: int
    total: int

    @property
    def rate(self) -> float | None:
        """hits / total, None without a total."""
        return None if self.total == 0 else self.hits / self.total


def first_response_share(tickets: Iterable[TicketRow], now: datetime) -> Share:
    """Reacted by the deadline, out of those reacted or overdue at `now`."""
    hits = total = 0
    for t in tickets:
        due = t.first_response_due_at
        if due is None:
            continue
        if t.first_responded_at is not None:
            total += 1
            hits += t.first_responded_at <= due
        elif due < now and t.paused_at is None:
            total += 1
    return Share(hits, total)


def resolution_share(tickets: Iterable[TicketRow], now: datetime) -> Share:
    """Resolved by the deadline, out of those resolved or overdue at `now`."""
    hits = total = 0
    for t in tickets:
        due = t.resolution_due_at
        if due is None:
            continue
        if t.resolved_at is not None:
            total += 1
            hits += t.resolved_at <= due
        elif due < now and t.status != "closed" and t.paused_at is None:
            total += 1  # overdue; a ticket waiting for the customer has its clock stopped
    return Share(hits, total)
