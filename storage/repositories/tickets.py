"""Tickets (the audit trail is in trail.py). Never commits: the caller owns the transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import TicketRow


async def add_ticket(session: AsyncSession, *, row: TicketRow) -> TicketRow:
    """Insert a new ticket and assign its number."""
    session.add(row)
    await session.flush()
    return row


async def get_ticket(session: AsyncSession, *, ticket_id: int) -> TicketRow | None:
    """The ticket with this number, or None."""
    return await session.get(TicketRow, ticket_id)


async def team_queue(
    session: AsyncSession, *, team_ids: Iterable[str], statuses: Iterable[str], limit: int = 50
) -> Sequence[TicketRow]:
    """Open, non-confidential tickets of the teams, the most urgent first (no deadline last)."""
    query = (
        select(TicketRow)
        .where(
            TicketRow.team_id.in_(list(team_ids)),
            TicketRow.status.in_(list(statuses)),
            TicketRow.confidential.is_(False),
        )
        .order_by(TicketRow.next_due_at.is_(None), TicketRow.next_due_at, TicketRow.id)
        .limit(limit)
    )
    return (await session.scalars(query)).all()


async def requester_tickets(
    session: AsyncSession, *, platform: str, requester_id: str, limit: int = 20
) -> Sequence[TicketRow]:
    """A requester's tickets, newest first."""
    query = (
        select(TicketRow)
        .where(TicketRow.requester_platform == platform, TicketRow.requester_id == requester_id)
        .order_by(TicketRow.id.desc())
        .limit(limit)
    )
    return (await session.scalars(query)).all()


async def waiting_tickets_of(
    session: AsyncSession, *, platform: str, requester_id: str, status: str, limit: int = 10
) -> Sequence[TicketRow]:
    """The requester's tickets in `status` (those a reply may belong to), oldest number first."""
    query = (
        select(TicketRow)
        .where(
            TicketRow.requester_platform == platform,
            TicketRow.requester_id == requester_id,
            TicketRow.status == status,
        )
        .order_by(TicketRow.id)
        .limit(limit)
    )
    return (await session.scalars(query)).all()


async def asked_back_after(
    session: AsyncSession, *, platform: str, requester_id: str, status: str, moment: datetime
) -> list[int]:
    """The requester's tickets in `status` (waiting for their answer) that were asked after
    `moment`, oldest number first: the questions back newer than some other question."""
    query = (
        select(TicketRow.id)
        .where(
            TicketRow.requester_platform == platform,
            TicketRow.requester_id == requester_id,
            TicketRow.status == status,
            TicketRow.paused_at > moment,
        )
        .order_by(TicketRow.id)
    )
    return list((await session.scalars(query)).all())


async def due_before(
    session: AsyncSession, *, moment: datetime, limit: int = 500
) -> Sequence[TicketRow]:
    """Tickets whose next deadline is at or before `moment`: one indexed range query."""
    query = (
        select(TicketRow)
        .where(TicketRow.next_due_at <= moment)
        .order_by(TicketRow.next_due_at)
        .limit(limit)
    )
    return (await session.scalars(query)).all()


async def by_description_event(
    session: AsyncSession, *, platform: str, requester_id: str, event_id: str
) -> TicketRow | None:
    """The requester's ticket whose description came from the message `event_id`."""
    query = (
        select(TicketRow)
        .where(
            TicketRow.requester_platform == platform,
            TicketRow.requester_id == requester_id,
            TicketRow.description_event == event_id,
        )
        .order_by(TicketRow.id.desc())
        .limit(1)
    )
    return (await session.scalars(query)).first()


async def count_open(session: AsyncSession, *, statuses: Iterable[str]) -> int:
    """How many tickets are in these statuses."""
    query = select(func.count()).select_from(TicketRow).where(TicketRow.status.in_(list(statuses)))
    return int(await session.scalar(query) or 0)


async def confidential_queue(
    session: AsyncSession, *, statuses: Iterable[str], limit: int = 50
) -> Sequence[TicketRow]:
    """Open confidential tickets (complaints) of every team, the most urgent first."""
    query = (
        select(TicketRow)
        .where(TicketRow.confidential.is_(True), TicketRow.status.in_(list(statuses)))
        .order_by(TicketRow.next_due_at.is_(None), TicketRow.next_due_at, TicketRow.id)
        .limit(limit)
    )
    return (await session.scalars(query)).all()
