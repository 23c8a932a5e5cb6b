"""Deadlines per hotline level and per team, as the concept's evaluation asks for
("definierte Reaktionszeiten": are they kept, and where not?).

A ticket counts for the level and the team it is at now, after any handoff or
escalation: that is where it was (or is still to be) finished. Its response time runs from
opening to the first reaction, whoever reacted.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from bot.reports.shares import Share, first_response_share, resolution_share
from bot.sla.calendar import WorkingCalendar
from storage.models import TicketRow

K = TypeVar("K")


@dataclass(frozen=True)
class Deadlines:
    """How one level or team kept its deadlines: tickets, both compliance shares, and the
    response time in office hours (median and 90th percentile, nearest rank)."""

    tickets: int
    first_response: Share
    resolution: Share
    hours_median: float | None
    hours_p90: float | None


def response_hours(
    tickets: Iterable[TicketRow], reacted: Mapping[int, datetime], calendar: WorkingCalendar
) -> list[float]:
    """Office hours from opening to the first reaction, ascending (unanswered tickets left out)."""
    return sorted(
        calendar.working_time_between(t.created_at, reacted[t.id]).total_seconds() / 3600
        for t in tickets
        if t.id in reacted
    )


def percentile(ordered: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile of ascending values; None without values."""
    if not ordered:
        return None
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def deadlines(
    tickets: Sequence[TicketRow],
    reacted: Mapping[int, datetime],
    calendar: WorkingCalendar,
    now: datetime,
) -> Deadlines:
    """The deadline figures of a set of tickets."""
    hours = response_hours(tickets, reacted, calendar)
    return Deadlines(
        tickets=len(tickets),
        first_response=first_response_share(tickets, now),
        resolution=resolution_share(tickets, now),
        hours_median=percentile(hours, 0.5),
        hours_p90=percentile(hours, 0.9),
    )


def grouped(
    tickets: Sequence[TicketRow],
    key: Callable[[TicketRow], K],
    order: Iterable[K],
    reacted: Mapping[int, datetime],
    calendar: WorkingCalendar,
    now: datetime,
) -> dict[K, Deadlines]:
    """Deadline figures per group, in `order`; groups without tickets are left out."""
    known = list(order)
    groups: dict[K, list[TicketRow]] = {}
    for ticket in tickets:
        groups.setdefault(key(ticket), []).append(ticket)
    ranked = [k for k in known if k in groups] + [k for k in groups if k not in known]
    return {k: deadlines(groups[k], reacted, calendar, now) for k in ranked}
