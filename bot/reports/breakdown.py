"""Deadlines per hotline level and per team, as the concept's evaluation asks for
("definierte Reaktionszeiten": are they kept, and where not?).

A ticket counts for the level and the team it is at now, after any handoff or
escalation: that is where it was (or is still to be) finished. The figures are folded in
tally.py. Its response time runs from
opening to the first reaction, whoever reacted.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from bot.reports.shares import Share


@dataclass(frozen=True)
class Deadlines:
    """How one level or team kept its deadlines: tickets, both compliance shares, and the
    response time in office hours (median and 90th percentile, nearest rank)."""

    tickets: int
    first_response: Share
    resolution: Share
    hours_median: float | None
    hours_p90: float | None


def percentile(ordered: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile of ascending values; None without values."""
    if not ordered:
        return None
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]
