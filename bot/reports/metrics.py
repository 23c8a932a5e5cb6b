"""The evaluation of a period as a pure function of its rows (no I/O, testable by hand).

Definitions (the README repeats them):
- first-contact resolution: answered by a first-level answer that helped, or resolved by a
  level-1 team without a handoff, out of all contacts (helped answers plus tickets); also
  per channel (chat, phone: a call Team BK solved on the spot counts, channels.py);
- first-response compliance: reacted by the deadline, out of the tickets whose reaction
  is due by `now` (reacted, or overdue); resolution compliance likewise;
- response time: office hours from opening to the first reaction (median and 90th
  percentile, nearest rank).
Complaints are counted, never quoted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bot.config.model import Level, OrgConfig, Texts
from bot.reports.breakdown import Deadlines, grouped, percentile, response_hours
from bot.reports.channels import (
    first_contact_by_channel,
    resolved_at_first_level,
    tickets_by_channel,
)
from bot.reports.shares import Share as Share
from bot.reports.shares import first_response_share, resolution_share
from bot.sla.calendar import WorkingCalendar
from storage.models import KnowledgeFeedbackRow, TicketRow
from storage.repositories.reports import PeriodRows


@dataclass(frozen=True)
class Week:
    """One ISO week of the period: volume and first-response compliance."""

    monday: date
    opened: int
    first_response: Share


@dataclass(frozen=True)
class Report:
    """Every figure of the evaluation."""

    start: datetime
    end: datetime
    tickets: int
    by_topic: dict[str, int]
    by_group: dict[str, int]
    by_team: dict[str, int]
    by_level: dict[int, int]
    first_contact: Share
    first_response: Share
    resolution: Share
    response_hours_median: float | None
    response_hours_p90: float | None
    handoffs_by_team: dict[str, int]
    escalations_by_team: dict[str, int]
    complaints: int
    ideas: int
    round_table: int
    csat_average: float | None
    csat_count: int
    csat_by_team: dict[str, tuple[float, int]] = field(default_factory=dict)
    weeks: tuple[Week, ...] = ()
    # Workshop feedback forms answered in the period: mean and count per scale question.
    workshop_scales: dict[str, tuple[float, int]] = field(default_factory=dict)
    workshop_forms: int = 0
    # Deadlines per hotline level and per team (where the ticket is now), see breakdown.py.
    deadlines_by_level: dict[int, Deadlines] = field(default_factory=dict)
    deadlines_by_team: dict[str, Deadlines] = field(default_factory=dict)
    # The weekly figures of each team that had tickets in the period (config order).
    team_weeks: dict[str, tuple[Week, ...]] = field(default_factory=dict)
    # Tickets and first-contact resolution per channel (chat, phone), see channels.py.
    by_channel: dict[str, int] = field(default_factory=dict)
    first_contact_by_channel: dict[str, Share] = field(default_factory=dict)
    # Per first-level answer (config or accepted by Team BK): helped, out of all answers to
    # "did this help?"; most answered first. Its question, for the tables.
    answers_by_entry: dict[str, Share] = field(default_factory=dict)
    entry_questions: dict[str, Texts] = field(default_factory=dict)


def compute(
    config: OrgConfig,
    rows: PeriodRows,
    calendar: WorkingCalendar,
    *,
    now: datetime,
    start: datetime,
    end: datetime,
) -> Report:
    """The report of [start, end), as things stand at `now`."""
    tickets = rows.tickets
    first_level_team = {team.id for team in config.teams if team.level == Level.FIRST}
    handed_off = {event.ticket_id for event in rows.handoffs}
    resolved_first = sum(
        1 for t in tickets if resolved_at_first_level(t, first_level_team, handed_off)
    )
    helped = sum(1 for f in rows.first_level if f.helped)
    reacted = dict(rows.first_reactions)
    hours = response_hours(tickets, reacted, calendar)
    team_order = [team.id for team in config.teams]
    ticket_team = {t.id: t.team_id for t in tickets}
    scores = [r.score for r in rows.ratings]
    return Report(
        start=start,
        end=end,
        tickets=len(tickets),
        by_topic=_count(t.topic_id for t in tickets),
        by_group=_count(t.customer_group_id or "-" for t in tickets),
        by_team=_count(t.team_id for t in tickets),
        by_level=dict(sorted(Counter(t.level for t in tickets).items())),
        first_contact=Share(helped + resolved_first, helped + len(tickets)),
        first_response=first_response_share(tickets, now),
        resolution=resolution_share(tickets, now),
        response_hours_median=percentile(hours, 0.5),
        response_hours_p90=percentile(hours, 0.9),
        handoffs_by_team=_count(str(e.data.get("from_team", "-")) for e in rows.handoffs),
        escalations_by_team=_count(ticket_team[s.ticket_id] for s in rows.escalations),
        complaints=sum(1 for t in tickets if t.confidential),
        ideas=sum(1 for p in rows.proposals if p.kind == "idea"),
        round_table=sum(1 for p in rows.proposals if p.kind == "round_table"),
        csat_average=sum(scores) / len(scores) if scores else None,
        csat_count=len(scores),
        csat_by_team=_averages((r.team_id, r.score) for r in rows.ratings),
        weeks=_weeks(tickets, now, start, end),
        workshop_scales=_averages(
            (question.id, int(value))
            for question in config.workshops.questions
            if question.kind == "scale"
            for form in rows.workshop_forms
            if isinstance(value := form.answers.get(question.id), int)
        ),
        workshop_forms=len(rows.workshop_forms),
        deadlines_by_level=grouped(tickets, lambda t: t.level, (1, 2, 3), reacted, calendar, now),
        deadlines_by_team=grouped(tickets, lambda t: t.team_id, team_order, reacted, calendar, now),
        by_channel=tickets_by_channel(tickets),
        first_contact_by_channel=first_contact_by_channel(
            tickets, helped, first_level_team, handed_off
        ),
        answers_by_entry=_helped_by_entry(rows.first_level),
        entry_questions={entry.id: entry.question for entry in config.knowledge},
        team_weeks={
            team: _weeks([t for t in tickets if t.team_id == team], now, start, end)
            for team in [*team_order, *sorted({t.team_id for t in tickets} - set(team_order))]
            if any(t.team_id == team for t in tickets)
        },
    )


def _weeks(
    tickets: Sequence[TicketRow], now: datetime, start: datetime, end: datetime
) -> tuple[Week, ...]:
    first = start.date() - timedelta(days=start.weekday())
    weeks = []
    monday = first
    while datetime.combine(monday, datetime.min.time(), tzinfo=start.tzinfo) < end:
        in_week = [
            t
            for t in tickets
            if monday <= t.created_at.astimezone(start.tzinfo).date() < monday + timedelta(7)
        ]
        weeks.append(Week(monday, len(in_week), first_response_share(in_week, now)))
        monday += timedelta(days=7)
    return tuple(weeks)


def _helped_by_entry(feedback: Iterable[KnowledgeFeedbackRow]) -> dict[str, Share]:
    """How often each first-level answer helped, out of its answers; most answered first."""
    helped: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for row in feedback:
        total[row.entry_id] += 1
        helped[row.entry_id] += row.helped
    return {entry: Share(helped[entry], n) for entry, n in total.most_common()}


def _count(values: Iterable[str]) -> dict[str, int]:
    return dict(Counter(values).most_common())


def _averages(pairs: Iterable[tuple[str, int]]) -> dict[str, tuple[float, int]]:
    sums: dict[str, list[int]] = {}
    for key, value in pairs:
        sums.setdefault(key, []).append(value)
    return {key: (sum(v) / len(v), len(v)) for key, v in sorted(sums.items())}
