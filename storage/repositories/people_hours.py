"""Personal working hours set by /arbeitszeit: read, set (one upsert), reset.

Rows hold {weekday: ["HH:MM-HH:MM", ...]} JSON; this module turns them into the config's
weekly-hours form, so callers never see the stored shape.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.model import OfficeInterval
from bot.config.weekly_hours import WeeklyHours, clock
from storage.models import PersonHoursRow


async def get_hours(session: AsyncSession, *, person_id: str) -> WeeklyHours | None:
    """The hours a person set by command; None when they set none (or reset them)."""
    stored = await session.scalar(
        select(PersonHoursRow.hours).where(PersonHoursRow.person_id == person_id)
    )
    return None if stored is None else _decoded(stored)


async def set_hours(
    session: AsyncSession, *, person_id: str, hours: WeeklyHours, at: datetime
) -> None:
    """Store a person's hours, replacing earlier ones (INSERT ... ON CONFLICT DO UPDATE)."""
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    values = {"person_id": person_id, "hours": _encoded(hours), "updated_at": at}
    statement = module.insert(PersonHoursRow).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=["person_id"], set_={"hours": values["hours"], "updated_at": at}
    )
    await session.execute(statement)


async def clear_hours(session: AsyncSession, *, person_id: str) -> bool:
    """Forget a person's command-set hours; False when there were none."""
    result = await session.execute(
        delete(PersonHoursRow).where(PersonHoursRow.person_id == person_id)
    )
    return bool(getattr(result, "rowcount", 0))


def _encoded(hours: WeeklyHours) -> dict[str, list[str]]:
    return {
        str(day): [f"{iv.start:%H:%M}-{iv.end:%H:%M}" for iv in intervals]
        for day, intervals in sorted(hours.items())
    }


def _decoded(stored: dict[str, list[str]]) -> dict[int, tuple[OfficeInterval, ...]]:
    result: dict[int, tuple[OfficeInterval, ...]] = {}
    for day, intervals in stored.items():
        pairs = [text.split("-", 1) for text in intervals]
        result[int(day)] = tuple(OfficeInterval(_clock(start), _clock(end)) for start, end in pairs)
    return result


def _clock(text: str) -> time:
    found = clock(text)
    if found is None:
        raise ValueError(f"stored working hours hold an invalid time {text!r}")
    return found
