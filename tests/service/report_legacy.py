"""The report as main computed it before the tickets were streamed: the old ORM-row path,
kept verbatim (minus imports) only to prove the new path gives identical reports."""

# ruff: noqa
# mypy: ignore-errors
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.model import Level, OrgConfig
from bot.domain.requests import CHANNELS, CHAT
from bot.kernel.clock import Clock
from bot.reports.breakdown import Deadlines
from bot.reports.metrics import Report, Week
from bot.reports.shares import Share
from bot.service.faq import merged
from bot.sla.calendar import WorkingCalendar, calendar_for
from storage.models import (
    EscalationStepRow,
    KnowledgeFeedbackRow,
    ProposalRow,
    SatisfactionRow,
    TicketEventRow,
    TicketRow,
    WorkshopFeedbackRow,
)
from storage.repositories.faq import accepted

K = TypeVar("K")


async def legacy_build(session, config, clock, start, end):
    rows = await period_rows(session, start=start, end=end)
    known = merged(config, await accepted(session), None, every_group=True)
    return legacy_compute(known, rows, calendar_for(config), now=clock.now(), start=start, end=end)


@dataclass(frozen=True)
class PeriodRows:
    """Everything the report of [start, end) is computed from."""

    tickets: Sequence[TicketRow]
    handoffs: Sequence[TicketEventRow]
    escalations: Sequence[EscalationStepRow]
    ratings: Sequence[SatisfactionRow]
    first_level: Sequence[KnowledgeFeedbackRow]
    proposals: Sequence[ProposalRow]
    workshop_forms: Sequence[WorkshopFeedbackRow] = ()
    # (ticket, moment of the first reaction by any team: claim, question back or answer)
    first_reactions: Sequence[tuple[int, datetime]] = ()


async def period_rows(session: AsyncSession, *, start: datetime, end: datetime) -> PeriodRows:
    """Tickets opened in the period with their handoffs and escalations; ratings, first-level
    answers and proposals given in the period."""
    tickets = (
        await session.scalars(
            select(TicketRow)
            .where(TicketRow.created_at >= start, TicketRow.created_at < end)
            .order_by(TicketRow.id)
        )
    ).all()
    ids = [ticket.id for ticket in tickets]
    handoffs: Sequence[TicketEventRow] = []
    escalations: Sequence[EscalationStepRow] = []
    if ids:
        handoffs = (
            await session.scalars(
                select(TicketEventRow).where(
                    TicketEventRow.ticket_id.in_(ids), TicketEventRow.action == "handoff"
                )
            )
        ).all()
        escalations = (
            await session.scalars(
                select(EscalationStepRow).where(
                    EscalationStepRow.ticket_id.in_(ids),
                    EscalationStepRow.action.in_(["escalate", "repeat"]),
                )
            )
        ).all()
    ratings = (
        await session.scalars(
            select(SatisfactionRow).where(
                SatisfactionRow.rated_at >= start, SatisfactionRow.rated_at < end
            )
        )
    ).all()
    first_level = (
        await session.scalars(
            select(KnowledgeFeedbackRow).where(
                KnowledgeFeedbackRow.at >= start, KnowledgeFeedbackRow.at < end
            )
        )
    ).all()
    proposals = (
        await session.scalars(
            select(ProposalRow).where(ProposalRow.created_at >= start, ProposalRow.created_at < end)
        )
    ).all()
    forms = (
        await session.scalars(
            select(WorkshopFeedbackRow).where(
                WorkshopFeedbackRow.submitted_at >= start, WorkshopFeedbackRow.submitted_at < end
            )
        )
    ).all()
    reactions: Sequence[tuple[int, datetime]] = []
    if ids:
        query = (
            select(TicketEventRow.ticket_id, func.min(TicketEventRow.at))
            .where(
                TicketEventRow.ticket_id.in_(ids),
                TicketEventRow.action.in_(["claim", "ask", "resolve"]),
            )
            .group_by(TicketEventRow.ticket_id)
        )
        reactions = [(int(ticket), at) for ticket, at in (await session.execute(query)).all()]
    return PeriodRows(
        tickets, handoffs, escalations, ratings, first_level, proposals, forms, reactions
    )


def legacy_compute(
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


def resolved_at_first_level(
    ticket: TicketRow, first_level: Collection[str], handed_off: Collection[int]
) -> bool:
    """Resolved by a level-1 team, never handed off."""
    return (
        ticket.resolved_at is not None
        and ticket.team_id in first_level
        and ticket.id not in handed_off
    )


def tickets_by_channel(tickets: Sequence[TicketRow]) -> dict[str, int]:
    """Each channel's tickets (every channel named, zero when none came that way)."""
    return {channel: sum(1 for t in tickets if t.channel == channel) for channel in CHANNELS}


def first_contact_by_channel(
    tickets: Sequence[TicketRow],
    helped: int,
    first_level: Collection[str],
    handed_off: Collection[int],
) -> dict[str, Share]:
    """First-contact resolution of each channel; `helped` (first-level answers that helped)
    are chat contacts."""
    shares = {}
    for channel in CHANNELS:
        mine = [t for t in tickets if t.channel == channel]
        resolved = sum(1 for t in mine if resolved_at_first_level(t, first_level, handed_off))
        extra = helped if channel == CHAT else 0
        shares[channel] = Share(resolved + extra, len(mine) + extra)
    return shares
