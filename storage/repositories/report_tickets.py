"""The tickets of a report period as narrow, streamed facts and grouped counts: what the
evaluation needs of each ticket, never its ORM row (a period of 100,000 tickets must not
cost the process hundreds of MiB once a week). Never writes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import EscalationStepRow, TicketEventRow, TicketRow

BATCH = 2_000  # rows per fetch while streaming the facts
REACTIONS = ("claim", "ask", "resolve")  # a first reaction by any team


class TicketFacts(NamedTuple):
    """What the report reads of one ticket (the names of TicketRow, so the share and
    channel rules apply to both), its first reaction and whether it was handed off."""

    id: int
    created_at: datetime
    status: str
    topic_id: str
    customer_group_id: str | None
    team_id: str
    level: int
    channel: str
    confidential: bool
    first_response_due_at: datetime | None
    first_responded_at: datetime | None
    resolution_due_at: datetime | None
    resolved_at: datetime | None
    paused_at: datetime | None
    first_reaction: datetime | None
    handed_off: bool


def _in_period(start: datetime, end: datetime) -> Any:
    return TicketRow.created_at >= start, TicketRow.created_at < end


async def ticket_facts(
    session: AsyncSession, *, start: datetime, end: datetime
) -> AsyncIterator[TicketFacts]:
    """The facts of the tickets opened in [start, end), by id, streamed in batches."""
    reaction = (
        select(func.min(TicketEventRow.at))
        .where(TicketEventRow.ticket_id == TicketRow.id, TicketEventRow.action.in_(REACTIONS))
        .correlate(TicketRow)
        .scalar_subquery()
    )
    handed = exists().where(
        TicketEventRow.ticket_id == TicketRow.id, TicketEventRow.action == "handoff"
    )
    query = (
        select(
            TicketRow.id,
            TicketRow.created_at,
            TicketRow.status,
            TicketRow.topic_id,
            TicketRow.customer_group_id,
            TicketRow.team_id,
            TicketRow.level,
            TicketRow.channel,
            TicketRow.confidential,
            TicketRow.first_response_due_at,
            TicketRow.first_responded_at,
            TicketRow.resolution_due_at,
            TicketRow.resolved_at,
            TicketRow.paused_at,
            reaction.label("first_reaction"),
            handed.label("handed_off"),
        )
        .where(*_in_period(start, end))
        .order_by(TicketRow.id)
        .execution_options(yield_per=BATCH)
    )
    result = await session.stream(query)
    async for partition in result.partitions(BATCH):
        for row in partition:
            yield TicketFacts._make((*row[:-1], bool(row[-1])))


async def handoff_sources(session: AsyncSession, *, start: datetime, end: datetime) -> list[str]:
    """The team each handoff of the period's tickets came from ("-" if unknown), in the order
    the handoffs were written."""
    query = (
        select(TicketEventRow.data)
        .join(TicketRow, TicketRow.id == TicketEventRow.ticket_id)
        .where(*_in_period(start, end), TicketEventRow.action == "handoff")
        .order_by(TicketEventRow.id)
    )
    return [str((data or {}).get("from_team", "-")) for data in await session.scalars(query)]


async def escalations_by_team(
    session: AsyncSession, *, start: datetime, end: datetime
) -> list[tuple[str, int]]:
    """Escalation steps (escalate, repeat) of the period's tickets per ticket's team, most
    first; ties in the order their first step was written."""
    count = func.count(EscalationStepRow.id)
    query = (
        select(TicketRow.team_id, count)
        .join(TicketRow, TicketRow.id == EscalationStepRow.ticket_id)
        .where(*_in_period(start, end), EscalationStepRow.action.in_(["escalate", "repeat"]))
        .group_by(TicketRow.team_id)
        .order_by(count.desc(), func.min(EscalationStepRow.id))
    )
    return [(str(team), int(n)) for team, n in (await session.execute(query)).all()]
