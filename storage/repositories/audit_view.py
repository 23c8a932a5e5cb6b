"""The audit trail as administrators read it: ticket events and audit log entries in one
list, filtered by ticket, person, action and period (`hotline-bot audit`).

Both tables are queried on indexed or small columns and merged by time; the filters run in
the database, the merge in memory (a period's audit is thousands of lines, not millions).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditLogRow, TicketEventRow


@dataclass(frozen=True)
class AuditLine:
    """One line of the trail, whichever table it came from."""

    at: datetime
    source: str  # "ticket" (a ticket's event) or "audit" (refusals, privacy, settings)
    ticket_id: int | None
    action: str
    actor: str  # platform:id, or the pseudonym the audit log keeps
    person: str | None = None  # the config's person id of staff
    audience: str | None = None  # who may read a ticket event (bot/domain/audience.py)
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AuditFilter:
    """What to select; None or empty: no restriction."""

    ticket_id: int | None = None
    people: Collection[str] = ()  # user ids, person ids or pseudonyms, any of them
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 10_000


async def audit_lines(session: AsyncSession, wanted: AuditFilter) -> list[AuditLine]:
    """The matching lines, oldest first (at most `wanted.limit`)."""
    events = select(TicketEventRow).order_by(TicketEventRow.at, TicketEventRow.id)
    log = select(AuditLogRow).order_by(AuditLogRow.at, AuditLogRow.id)
    if wanted.ticket_id is not None:
        events = events.where(TicketEventRow.ticket_id == wanted.ticket_id)
        log = log.where(AuditLogRow.ticket_id == wanted.ticket_id)
    if wanted.people:
        people = list(wanted.people)
        events = events.where(
            or_(TicketEventRow.actor_id.in_(people), TicketEventRow.actor_person.in_(people))
        )
        log = log.where(AuditLogRow.user_id.in_(people))
    if wanted.action is not None:
        events = events.where(TicketEventRow.action == wanted.action)
        log = log.where(AuditLogRow.action == wanted.action)
    if wanted.since is not None:
        events = events.where(TicketEventRow.at >= wanted.since)
        log = log.where(AuditLogRow.at >= wanted.since)
    if wanted.until is not None:
        events = events.where(TicketEventRow.at < wanted.until)
        log = log.where(AuditLogRow.at < wanted.until)
    found = [
        AuditLine(
            row.at,
            "ticket",
            row.ticket_id,
            row.action,
            f"{row.actor_platform}:{row.actor_id}",
            row.actor_person,
            row.audience,
            dict(row.data or {}),
        )
        for row in (await session.scalars(events.limit(wanted.limit))).all()
    ]
    found += [
        AuditLine(
            row.at,
            "audit",
            row.ticket_id,
            row.action,
            row.user_id if row.platform == "system" else f"{row.platform}:{row.user_id}",
            detail=dict(row.detail or {}),
        )
        for row in (await session.scalars(log.limit(wanted.limit))).all()
    ]
    found.sort(key=lambda line: line.at)
    return found[: wanted.limit]
