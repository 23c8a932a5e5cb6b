"""Satisfaction ratings (CSAT): one per ticket, the latest answer wins. Never commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import SatisfactionRow, TicketRow


async def rating_of(session: AsyncSession, *, ticket_id: int) -> SatisfactionRow | None:
    """The rating of a ticket, if its requester gave one."""
    query = select(SatisfactionRow).where(SatisfactionRow.ticket_id == ticket_id)
    return await session.scalar(query)


async def rate(
    session: AsyncSession, *, ticket: TicketRow, score: int, at: datetime
) -> SatisfactionRow:
    """Store (or change) the rating of `ticket`. A comment belongs to the score it was
    written for: a changed score drops it."""
    row = await rating_of(session, ticket_id=ticket.id)
    if row is None:
        row = SatisfactionRow(
            ticket_id=ticket.id,
            team_id=ticket.team_id,
            topic_id=ticket.topic_id,
            customer_group_id=ticket.customer_group_id,
            level=ticket.level,
            score=score,
            rated_at=at,
        )
        session.add(row)
    else:
        if row.score != score:
            row.comment = None
        row.score, row.rated_at = score, at
    await session.flush()
    return row
