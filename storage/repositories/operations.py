"""What operators watch, read from the database: backlogs, ages and counts for /metrics and
/readyz. Each figure is one aggregate query over indexed columns, so a scrape stays cheap
with 100,000 open tickets; the figures are database-wide (every instance reports the same).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import DialogStateRow, EscalationStepRow, OutboxRow, TicketRow

DONE = ("resolved", "closed")  # the statuses of tickets nobody has to act on


@dataclass(frozen=True)
class Snapshot:
    """The database's side of the bot's health, at one moment."""

    outbox_pending: dict[str, int] = field(default_factory=dict)  # by platform
    outbox_oldest_due: datetime | None = None  # creation of the oldest notice due and unsent
    overdue_since: datetime | None = None  # the earliest sweep work not yet done
    open_tickets: dict[tuple[str, str], int] = field(default_factory=dict)  # (team, status)
    dialogs_open: int = 0
    steps: dict[tuple[str, str], int] = field(default_factory=dict)  # (team, action), all time


async def snapshot(session: AsyncSession, *, now: datetime) -> Snapshot:
    """Every figure at once (read-only; no locks)."""
    pending = OutboxRow.status == "pending"
    by_platform = await session.execute(
        select(OutboxRow.platform, func.count()).where(pending).group_by(OutboxRow.platform)
    )
    oldest = await session.scalar(
        select(func.min(OutboxRow.created_at)).where(pending, OutboxRow.next_attempt_at <= now)
    )
    overdue = await session.scalar(
        select(func.min(TicketRow.next_action_at)).where(TicketRow.next_action_at <= now)
    )
    tickets = await session.execute(
        select(TicketRow.team_id, TicketRow.status, func.count())
        .where(TicketRow.status.not_in(DONE))
        .group_by(TicketRow.team_id, TicketRow.status)
    )
    dialogs = await session.scalar(select(func.count()).select_from(DialogStateRow))
    steps = await session.execute(
        select(TicketRow.team_id, EscalationStepRow.action, func.count())
        .join(TicketRow, TicketRow.id == EscalationStepRow.ticket_id)
        .group_by(TicketRow.team_id, EscalationStepRow.action)
    )
    return Snapshot(
        outbox_pending={platform: count for platform, count in by_platform.all()},
        outbox_oldest_due=oldest,
        overdue_since=overdue,
        open_tickets={(team, status): count for team, status, count in tickets.all()},
        dialogs_open=dialogs or 0,
        steps={(team, action): count for team, action, count in steps.all()},
    )
