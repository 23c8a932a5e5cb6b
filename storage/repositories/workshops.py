"""Workshops, registrations and anonymous feedback. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import WorkshopFeedbackRow, WorkshopRegistrationRow, WorkshopRow

ACTIVE = ("registered", "waiting")


async def upsert(
    session: AsyncSession, *, values: dict[str, Any], at: datetime
) -> tuple[WorkshopRow, str]:
    """Insert the workshop, or update the one with the same code. Returns the row and what
    happened: "new", "moved" (its date or time changed) or "updated"."""
    row = await session.scalar(select(WorkshopRow).where(WorkshopRow.code == values["code"]))
    if row is None:
        row = WorkshopRow(**values, status="planned", created_at=at)
        session.add(row)
        await session.flush()
        return row, "new"
    moved = row.starts_at != values["starts_at"] or row.ends_at != values["ends_at"]
    for key, value in values.items():
        setattr(row, key, value)
    await session.flush()
    return row, "moved" if moved else "updated"


async def upcoming(
    session: AsyncSession, *, now: datetime, limit: int = 20
) -> Sequence[WorkshopRow]:
    """Planned workshops that have not started, soonest first."""
    query = (
        select(WorkshopRow)
        .where(WorkshopRow.starts_at > now, WorkshopRow.status == "planned")
        .order_by(WorkshopRow.starts_at, WorkshopRow.id)
        .limit(limit)
    )
    return (await session.scalars(query)).all()


async def taken_seats(session: AsyncSession, *, ids: Sequence[int]) -> dict[int, int]:
    """Registered (not waiting) participants per workshop."""
    if not ids:
        return {}
    query = (
        select(WorkshopRegistrationRow.workshop_id, func.count())
        .where(
            WorkshopRegistrationRow.workshop_id.in_(list(ids)),
            WorkshopRegistrationRow.status == "registered",
        )
        .group_by(WorkshopRegistrationRow.workshop_id)
    )
    return {int(w): int(n) for w, n in (await session.execute(query)).all()}


async def get(session: AsyncSession, *, workshop_id: int, lock: bool = False) -> WorkshopRow | None:
    """The workshop with this number (locked for a seat decision on PostgreSQL)."""
    query = select(WorkshopRow).where(WorkshopRow.id == workshop_id)
    if lock and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return await session.scalar(query)


async def registration(
    session: AsyncSession, *, workshop_id: int, platform: str, user_id: str
) -> WorkshopRegistrationRow | None:
    """A person's registration for a workshop, whatever its status."""
    query = select(WorkshopRegistrationRow).where(
        WorkshopRegistrationRow.workshop_id == workshop_id,
        WorkshopRegistrationRow.platform == platform,
        WorkshopRegistrationRow.user_id == user_id,
    )
    return await session.scalar(query)


async def registrations(
    session: AsyncSession, *, workshop_id: int, statuses: Sequence[str] = ACTIVE
) -> Sequence[WorkshopRegistrationRow]:
    """Registrations of a workshop in these statuses, in the order they came in."""
    query = (
        select(WorkshopRegistrationRow)
        .where(
            WorkshopRegistrationRow.workshop_id == workshop_id,
            WorkshopRegistrationRow.status.in_(list(statuses)),
        )
        .order_by(WorkshopRegistrationRow.registered_at, WorkshopRegistrationRow.id)
    )
    return (await session.scalars(query)).all()


async def of_person(
    session: AsyncSession, *, platform: str, user_id: str
) -> Sequence[WorkshopRegistrationRow]:
    """A person's active registrations."""
    query = select(WorkshopRegistrationRow).where(
        WorkshopRegistrationRow.platform == platform,
        WorkshopRegistrationRow.user_id == user_id,
        WorkshopRegistrationRow.status.in_(list(ACTIVE)),
    )
    return (await session.scalars(query)).all()


async def starting_between(
    session: AsyncSession, *, start: datetime, end: datetime
) -> Sequence[WorkshopRow]:
    """Planned workshops starting in [start, end)."""
    query = select(WorkshopRow).where(
        WorkshopRow.starts_at >= start, WorkshopRow.starts_at < end, WorkshopRow.status == "planned"
    )
    return (await session.scalars(query)).all()


async def ended_since(
    session: AsyncSession, *, since: datetime, now: datetime
) -> Sequence[WorkshopRow]:
    """Planned workshops that ended in [since, now]: their feedback window is open."""
    query = select(WorkshopRow).where(
        WorkshopRow.ends_at >= since, WorkshopRow.ends_at <= now, WorkshopRow.status == "planned"
    )
    return (await session.scalars(query)).all()


async def add_feedback(
    session: AsyncSession, *, workshop_id: int, answers: dict[str, Any], at: datetime
) -> None:
    """Store a filled-in form (no person attached)."""
    session.add(WorkshopFeedbackRow(workshop_id=workshop_id, answers=answers, submitted_at=at))
    await session.flush()


async def feedback(session: AsyncSession, *, workshop_id: int) -> Sequence[WorkshopFeedbackRow]:
    """Every form filled in for a workshop, in no particular person's order."""
    query = select(WorkshopFeedbackRow).where(WorkshopFeedbackRow.workshop_id == workshop_id)
    return (await session.scalars(query.order_by(WorkshopFeedbackRow.id))).all()
