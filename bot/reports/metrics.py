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
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from bot.config.model import OrgConfig, Texts
from bot.reports.breakdown import Deadlines
from bot.reports.shares import Share as Share
from bot.reports.tally import TicketTally
from storage.models import KnowledgeFeedbackRow
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
    tally: TicketTally,
    *,
    start: datetime,
    end: datetime,
) -> Report:
    """The report of [start, end) from the period's other rows and its folded tickets."""
    helped = sum(1 for f in rows.first_level if f.helped)
    team_order = [team.id for team in config.teams]
    scores = [r.score for r in rows.ratings]
    overall = tally.all.deadlines()
    return Report(
        start=start,
        end=end,
        tickets=tally.tickets,
        by_topic=dict(tally.topics.most_common()),
        by_group=dict(tally.groups.most_common()),
        by_team=dict(tally.teams.most_common()),
        by_level=dict(sorted(tally.levels.items())),
        first_contact=Share(helped + tally.resolved_first(), helped + tally.tickets),
        first_response=overall.first_response,
        resolution=overall.resolution,
        response_hours_median=overall.hours_median,
        response_hours_p90=overall.hours_p90,
        handoffs_by_team=_count(rows.handoff_sources),
        escalations_by_team=dict(rows.escalations_by_team),
        complaints=tally.complaints,
        ideas=sum(1 for p in rows.proposals if p.kind == "idea"),
        round_table=sum(1 for p in rows.proposals if p.kind == "round_table"),
        csat_average=sum(scores) / len(scores) if scores else None,
        csat_count=len(scores),
        csat_by_team=_averages((r.team_id, r.score) for r in rows.ratings),
        weeks=_weeks(tally, None),
        workshop_scales=_averages(
            (question.id, int(value))
            for question in config.workshops.questions
            if question.kind == "scale"
            for form in rows.workshop_forms
            if isinstance(value := form.answers.get(question.id), int)
        ),
        workshop_forms=len(rows.workshop_forms),
        deadlines_by_level=tally.grouped_deadlines(tally.by_level, (1, 2, 3)),
        deadlines_by_team=tally.grouped_deadlines(tally.by_team, team_order),
        by_channel={channel: n for channel, (n, _) in tally.channels.items()},
        first_contact_by_channel=tally.first_contact_by_channel(helped),
        answers_by_entry=_helped_by_entry(rows.first_level),
        entry_questions={entry.id: entry.question for entry in config.knowledge},
        team_weeks={team: _weeks(tally, team) for team in tally.team_order(team_order)},
    )


def _weeks(tally: TicketTally, team: str | None) -> tuple[Week, ...]:
    return tuple(Week(monday, n, share) for monday, n, share in tally.week_figures(team))


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
