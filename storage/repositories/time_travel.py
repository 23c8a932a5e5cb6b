"""Notices written in simulated time (`sweep --at`, `jobs run --at`), made due now.

A job run as of a future moment writes its notices with that moment as their due time; the
running bot would send them only when that real time came. The jobs record what they did
as of the simulated moment (steps, deadlines, audit), but their notices are for now.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxRow


async def newest_outbox_id(session: AsyncSession) -> int:
    """The id the next notice will exceed (0 for an empty outbox)."""
    return int(await session.scalar(select(func.max(OutboxRow.id))) or 0)


async def due_now(session: AsyncSession, *, after_id: int, now: datetime) -> int:
    """Make the pending (and held) notices written after `after_id` due at `now`."""
    result = await session.execute(
        update(OutboxRow)
        .where(
            OutboxRow.id > after_id,
            OutboxRow.status.in_(("pending", "held")),  # held: sweep DMs to be bundled
            OutboxRow.next_attempt_at > now,
        )
        .values(next_attempt_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
