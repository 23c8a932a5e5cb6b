"""Inbound event dedupe: the first instance to insert (platform, event id) handles the event."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InboundEventRow
from storage.repositories._dialect import insert_ignoring_conflicts


async def remember_event(
    session: AsyncSession, *, platform: str, event_id: str, received_at: datetime
) -> bool:
    """Record the event; True if it is new, False if it was seen before."""
    statement = insert_ignoring_conflicts(
        session,
        InboundEventRow,
        {"platform": platform, "event_id": event_id, "received_at": received_at},
    )
    result = await session.execute(statement)
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def forget_events_before(session: AsyncSession, *, before: datetime) -> int:
    """Prune the dedupe table; platforms do not redeliver events this old."""
    result = await session.execute(
        delete(InboundEventRow).where(InboundEventRow.received_at < before)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
