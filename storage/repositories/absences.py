"""Absences (Abwesenheit): entered, ended, read for recipients, handed over once. Never commits.

Times are aware; `ends_at` is exclusive (the end of the last day away). The sweep's
handover step claims an absence with a compare-and-set on `handed_over_at`, so two bot
instances never release the same person's tickets twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AbsenceRow

_CACHE = "absences.active"  # session.info key: the absences active at one moment


async def add(
    session: AsyncSession,
    *,
    person_id: str,
    starts_at: datetime,
    ends_at: datetime,
    deputy_id: str | None,
    created_by: str,
    now: datetime,
) -> AbsenceRow:
    """Enter an absence; it replaces the person's absences that have not ended yet (a new
    /abwesend corrects the old one rather than piling up overlapping periods)."""
    await session.execute(
        delete(AbsenceRow).where(AbsenceRow.person_id == person_id, AbsenceRow.ends_at > now)
    )
    row = AbsenceRow(
        person_id=person_id,
        starts_at=starts_at,
        ends_at=ends_at,
        deputy_id=deputy_id,
        created_by=created_by,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    session.info.pop(_CACHE, None)
    return row


async def end(session: AsyncSession, *, person_id: str, now: datetime) -> int:
    """The person is back: a running absence ends now, planned ones are dropped. Returns how
    many absences were running or planned."""
    planned = await session.execute(
        delete(AbsenceRow).where(AbsenceRow.person_id == person_id, AbsenceRow.starts_at > now)
    )
    running = await session.execute(
        update(AbsenceRow)
        .where(AbsenceRow.person_id == person_id, AbsenceRow.ends_at > now)
        .values(ends_at=now)
    )
    session.info.pop(_CACHE, None)
    return int(getattr(planned, "rowcount", 0) or 0) + int(getattr(running, "rowcount", 0) or 0)


async def current_and_planned(
    session: AsyncSession, *, now: datetime, person_ids: Sequence[str] | None = None
) -> list[AbsenceRow]:
    """Absences not yet over (running or planned), earliest start first."""
    query = select(AbsenceRow).where(AbsenceRow.ends_at > now)
    if person_ids is not None:
        query = query.where(AbsenceRow.person_id.in_(person_ids))
    return list((await session.scalars(query.order_by(AbsenceRow.starts_at))).all())


async def active(session: AsyncSession, *, at: datetime) -> list[AbsenceRow]:
    """The absences running at `at`; cached in the session for that moment, because the
    sweep asks once per notice and a batch sends many."""
    cached = session.info.get(_CACHE)
    if cached is not None and cached[0] == at:
        return list(cached[1])
    query = select(AbsenceRow).where(AbsenceRow.starts_at <= at, AbsenceRow.ends_at > at)
    rows = list((await session.scalars(query.order_by(AbsenceRow.id))).all())
    session.info[_CACHE] = (at, rows)
    return rows


async def handover_due(session: AsyncSession, *, now: datetime, limit: int = 100) -> list[int]:
    """Ids of absences that have started and whose handover has not happened yet."""
    query = (
        select(AbsenceRow.id)
        .where(AbsenceRow.handed_over_at.is_(None), AbsenceRow.starts_at <= now)
        .order_by(AbsenceRow.starts_at, AbsenceRow.id)
        .limit(limit)
    )
    return list((await session.scalars(query)).all())


async def take_handover(
    session: AsyncSession, *, absence_id: int, now: datetime
) -> AbsenceRow | None:
    """Mark the absence handed over; the row when this caller won, None when another did."""
    result = await session.execute(
        update(AbsenceRow)
        .where(AbsenceRow.id == absence_id, AbsenceRow.handed_over_at.is_(None))
        .values(handed_over_at=now)
    )
    if not getattr(result, "rowcount", 0):
        return None
    return await session.get(AbsenceRow, absence_id, populate_existing=True)
