"""Inbound event dedupe: the first instance to insert (platform, event id) handles the event.

Every turn runs `remember_event`, so its INSERT is built once per dialect and executed with
parameters (a Core statement: half the cost of building the ORM statement each time).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InboundEventRow

_REMEMBER: dict[str, Any] = {}


def _remember_statement(session: AsyncSession) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING into inbound_events, for the session's dialect."""
    dialect = session.get_bind().dialect.name
    statement = _REMEMBER.get(dialect)
    if statement is None:
        module: Any = postgresql if dialect == "postgresql" else sqlite
        statement = module.insert(InboundEventRow.__table__).on_conflict_do_nothing()
        _REMEMBER[dialect] = statement
    return statement


async def remember_event(
    session: AsyncSession, *, platform: str, event_id: str, received_at: datetime
) -> bool:
    """Record the event; True if it is new, False if it was seen before."""
    result = await session.execute(
        _remember_statement(session),
        {"platform": platform, "event_id": event_id, "received_at": received_at},
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def forget_events_before(session: AsyncSession, *, before: datetime) -> int:
    """Prune the dedupe table; platforms do not redeliver events this old."""
    result = await session.execute(
        delete(InboundEventRow).where(InboundEventRow.received_at < before)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
