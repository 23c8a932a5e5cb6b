"""The transactional inbox: a sync loop stores events with its sync token; workers handle them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InboxRow
from storage.repositories._dialect import insert_ignoring_conflicts


async def put(
    session: AsyncSession, *, platform: str, event_id: str, payload: dict[str, Any], at: datetime
) -> None:
    """Store an event; an event seen before (same id) is ignored."""
    values = {
        "platform": platform,
        "event_id": event_id,
        "payload": payload,
        "received_at": at,
        "done": False,
    }
    await session.execute(insert_ignoring_conflicts(session, InboxRow, values))


async def pending(session: AsyncSession, *, platform: str, limit: int = 100) -> Sequence[InboxRow]:
    """Unhandled events in arrival order."""
    query = (
        select(InboxRow)
        .where(InboxRow.platform == platform, InboxRow.done.is_(False))
        .order_by(InboxRow.id)
        .limit(limit)
    )
    return (await session.scalars(query)).all()


async def mark_events_done(
    session: AsyncSession, *, platform: str, event_ids: Sequence[str]
) -> None:
    """The engine has handled these events (by platform event id)."""
    await session.execute(
        update(InboxRow)
        .where(InboxRow.platform == platform, InboxRow.event_id.in_(list(event_ids)))
        .values(done=True)
    )
