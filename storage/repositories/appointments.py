"""Appointments on tickets, and their reminders waiting in the outbox. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AppointmentRow, OutboxRow

OPEN = ("proposed", "wanted", "confirmed")  # an appointment still being arranged or ahead


def _locked(session: AsyncSession, query: Select[AppointmentRow]) -> Select[AppointmentRow]:
    """The query locking its row on PostgreSQL (SELECT ... FOR UPDATE) and reading it afresh:
    a second tap waits for the first one's commit and then sees its state. SQLite lets one
    writer at a time in and needs no lock."""
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return query.execution_options(populate_existing=True)


async def current(
    session: AsyncSession, *, ticket_id: int, lock: bool = False
) -> AppointmentRow | None:
    """The ticket's appointment still being arranged or ahead, if any (locked to change it)."""
    query = (
        select(AppointmentRow)
        .where(AppointmentRow.ticket_id == ticket_id, AppointmentRow.status.in_(OPEN))
        .order_by(AppointmentRow.id.desc())
        .limit(1)
    )
    return (await session.scalars(_locked(session, query) if lock else query)).first()


async def get(
    session: AsyncSession, *, appointment_id: int, lock: bool = False
) -> AppointmentRow | None:
    """An appointment by id (locked, and read afresh, to change it)."""
    query = select(AppointmentRow).where(AppointmentRow.id == appointment_id)
    return await session.scalar(_locked(session, query) if lock else query)


async def latest_in(
    session: AsyncSession, *, ticket_ids: Sequence[int], status: str
) -> list[AppointmentRow]:
    """The appointments on these tickets in `status`, the latest changed first."""
    if not ticket_ids:
        return []
    query = (
        select(AppointmentRow)
        .where(AppointmentRow.ticket_id.in_(ticket_ids), AppointmentRow.status == status)
        .order_by(AppointmentRow.updated_at.desc(), AppointmentRow.id.desc())
    )
    return list((await session.scalars(query)).all())


async def begun(session: AsyncSession, *, now: datetime, limit: int = 100) -> list[AppointmentRow]:
    """Confirmed appointments whose time has come (their ticket's clock resumes)."""
    query = (
        select(AppointmentRow)
        .where(AppointmentRow.status == "confirmed", AppointmentRow.start_at <= now)
        .order_by(AppointmentRow.start_at)
        .limit(limit)
    )
    return list((await session.scalars(query)).all())


def reminder_prefix(appointment_id: int) -> str:
    """How the outbox keys of an appointment's reminders begin."""
    return f"appt-{appointment_id}-remind-"


async def drop_reminders(session: AsyncSession, *, appointment_id: int) -> int:
    """Take back the reminders not sent yet (a reschedule or cancellation)."""
    prefix = reminder_prefix(appointment_id)
    result: Any = await session.execute(
        delete(OutboxRow).where(
            OutboxRow.dedupe_key.startswith(prefix, autoescape=True),
            OutboxRow.status == "pending",
        )
    )
    return int(result.rowcount or 0)


async def delete_for(session: AsyncSession, *, ticket_ids: Sequence[int]) -> int:
    """Erase the appointments of these tickets (privacy: deleted with the ticket's data)."""
    if not ticket_ids:
        return 0
    result: Any = await session.execute(
        delete(AppointmentRow).where(AppointmentRow.ticket_id.in_(ticket_ids))
    )
    return int(result.rowcount or 0)
