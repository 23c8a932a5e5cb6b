"""The audit log for what is not a ticket change: refusals and failed inbound events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditLogRow


async def audit(
    session: AsyncSession,
    *,
    at: datetime,
    platform: str,
    user_id: str,
    action: str,
    ticket_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one entry to the audit log."""
    session.add(
        AuditLogRow(
            at=at,
            platform=platform,
            user_id=user_id,
            action=action,
            ticket_id=ticket_id,
            detail=detail or {},
        )
    )
    await session.flush()


async def entries(
    session: AsyncSession, *, action: str | None = None, limit: int = 100
) -> Sequence[AuditLogRow]:
    """Audit entries, oldest first, optionally of one action."""
    query = select(AuditLogRow).order_by(AuditLogRow.id).limit(limit)
    if action is not None:
        query = query.where(AuditLogRow.action == action)
    return (await session.scalars(query)).all()


async def entries_of_ticket(session: AsyncSession, *, ticket_id: int) -> Sequence[AuditLogRow]:
    """The audit entries about one ticket (refusals), oldest first."""
    query = (
        select(AuditLogRow)
        .where(AuditLogRow.ticket_id == ticket_id)
        .order_by(AuditLogRow.at, AuditLogRow.id)
    )
    return (await session.scalars(query)).all()
