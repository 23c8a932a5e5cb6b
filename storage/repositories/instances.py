"""Heartbeats of running instances: who is alive, for handing back a dead one's leases."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InstanceRow


async def beat(session: AsyncSession, *, instance_id: str, now: datetime) -> None:
    """Record that `instance_id` is alive at `now` (one upsert)."""
    module: Any = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = module.insert(InstanceRow).values(id=instance_id, started_at=now, seen_at=now)
    statement = statement.on_conflict_do_update(
        index_elements=[InstanceRow.id], set_={"seen_at": now}
    )
    await session.execute(statement)


def alive_since(moment: datetime) -> Any:
    """A subquery of the instances seen at or after `moment`."""
    return select(InstanceRow.id).where(InstanceRow.seen_at >= moment)


async def forget_before(session: AsyncSession, *, moment: datetime) -> int:
    """Drop instances not seen since `moment` (long gone; their leases are free anyway)."""
    result = await session.execute(delete(InstanceRow).where(InstanceRow.seen_at < moment))
    return int(getattr(result, "rowcount", 0) or 0)
