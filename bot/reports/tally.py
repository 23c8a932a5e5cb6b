"""The ticket figures of a report, folded one ticket at a time from narrow facts
(storage/repositories/report_tickets.py): counts per topic, group, team, level and channel,
the deadline shares overall, per level, per team and per week, and the response times. Only
the response times of reacted tickets are kept (for the median and 90th percentile); no
ticket is held, so a period of 100,000 tickets costs a few MiB, not hundreds."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from bot.domain.requests import CHANNELS, CHAT
from bot.reports.breakdown import Deadlines, percentile
from bot.reports.shares import Share, first_response_kept, resolution_kept
from bot.sla.calendar import WorkingCalendar
from storage.repositories.report_tickets import TicketFacts


@dataclass
class _Count:
    hits: int = 0
    total: int = 0

    def add(self, kept: bool | None) -> None:
        if kept is not None:
            self.total += 1
            self.hits += kept

    def share(self) -> Share:
        return Share(self.hits, self.total)


@dataclass
class _Week:
    opened: int = 0
    first_response: _Count = field(default_factory=_Count)


@dataclass
class _Group:
    """One level's or team's deadline figures so far."""

    tickets: int = 0
    first_response: _Count = field(default_factory=_Count)
    resolution: _Count = field(default_factory=_Count)
    hours: list[float] = field(default_factory=list)

    def deadlines(self) -> Deadlines:
        ordered = sorted(self.hours)
        return Deadlines(
            tickets=self.tickets,
            first_response=self.first_response.share(),
            resolution=self.resolution.share(),
            hours_median=percentile(ordered, 0.5),
            hours_p90=percentile(ordered, 0.9),
        )


class TicketTally:
    """Fold the facts of a period's tickets (in id order) into the report's ticket figures."""

    def __init__(
        self,
        *,
        first_level: Collection[str],
        calendar: WorkingCalendar,
        now: datetime,
        start: datetime,
        end: datetime,
    ) -> None:
        self.first_level, self.calendar, self.now = first_level, calendar, now
        self.tz = start.tzinfo
        self.first_monday = start.date() - timedelta(days=start.weekday())
        self.mondays: list[date] = []
        monday = self.first_monday
        while datetime.combine(monday, datetime.min.time(), tzinfo=start.tzinfo) < end:
            self.mondays.append(monday)
            monday += timedelta(days=7)
        self.tickets = 0
        self.complaints = 0
        self.topics: Counter[str] = Counter()
        self.groups: Counter[str] = Counter()
        self.teams: Counter[str] = Counter()
        self.levels: Counter[int] = Counter()
        self.all = _Group()
        self.by_level: dict[int, _Group] = {}
        self.by_team: dict[str, _Group] = {}
        self.channels = {channel: [0, 0] for channel in CHANNELS}  # tickets, resolved first
        self.weeks = [_Week() for _ in self.mondays]
        self.team_weeks: dict[str, list[_Week]] = {}

    def add(self, t: TicketFacts) -> None:
        """Count one ticket."""
        self.tickets += 1
        self.complaints += bool(t.confidential)
        self.topics[t.topic_id] += 1
        self.groups[t.customer_group_id or "-"] += 1
        self.teams[t.team_id] += 1
        self.levels[t.level] += 1
        first = first_response_kept(t, self.now)
        resolved = resolution_kept(t, self.now)
        hours = None
        if t.first_reaction is not None:
            spent = self.calendar.working_time_between(t.created_at, t.first_reaction)
            hours = spent.total_seconds() / 3600
        groups = (
            self.all,
            self.by_level.setdefault(t.level, _Group()),
            self.by_team.setdefault(t.team_id, _Group()),
        )
        for group in groups:
            group.tickets += 1
            group.first_response.add(first)
            group.resolution.add(resolved)
            if hours is not None:
                group.hours.append(hours)
        if t.channel in self.channels:
            counts = self.channels[t.channel]
            counts[0] += 1
            counts[1] += (
                t.resolved_at is not None and t.team_id in self.first_level and not t.handed_off
            )
        team_weeks = self.team_weeks.setdefault(t.team_id, [_Week() for _ in self.mondays])
        week = (t.created_at.astimezone(self.tz).date() - self.first_monday).days // 7
        if 0 <= week < len(self.mondays):
            for weeks in (self.weeks, team_weeks):
                weeks[week].opened += 1
                weeks[week].first_response.add(first)

    def resolved_first(self) -> int:
        """Tickets resolved by a level-1 team without a handoff, over all channels."""
        return sum(resolved for _, resolved in self.channels.values())

    def week_figures(self, team: str | None = None) -> list[tuple[date, int, Share]]:
        """(monday, opened, first-response share) per week, of the hotline or one team."""
        weeks = self.weeks if team is None else self.team_weeks[team]
        return [
            (monday, w.opened, w.first_response.share())
            for monday, w in zip(self.mondays, weeks, strict=True)
        ]

    def first_contact_by_channel(self, helped: int) -> dict[str, Share]:
        """First-contact resolution per channel; helped first-level answers are chat."""
        shares = {}
        for channel, (tickets, resolved) in self.channels.items():
            extra = helped if channel == CHAT else 0
            shares[channel] = Share(resolved + extra, tickets + extra)
        return shares

    def grouped_deadlines(
        self, groups: dict[Any, _Group], order: Iterable[Any]
    ) -> dict[Any, Deadlines]:
        """Deadline figures per group in `order`, then any others as first seen."""
        known = list(order)
        ranked = [k for k in known if k in groups] + [k for k in groups if k not in known]
        return {k: groups[k].deadlines() for k in ranked}

    def team_order(self, order: Sequence[str]) -> list[str]:
        """Teams with tickets: config order, then the rest sorted."""
        return [t for t in order if t in self.team_weeks] + sorted(
            set(self.team_weeks) - set(order)
        )
