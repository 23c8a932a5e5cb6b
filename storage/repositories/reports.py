"""What the evaluation reads: the rows of one period, in a few range queries. Never writes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    EscalationStepRow,
    KnowledgeFeedbackRow,
    ProposalRow,
    SatisfactionRow,
    TicketEventRow,
    TicketRow,
    WorkshopFeedbackRow,
)


@dataclass(frozen=True)
class PeriodRows:
    """Everything the report of [start, end) is computed from."""

    tickets: Sequence[TicketRow]
    handoffs: Sequence[TicketEventRow]
    escalations: Sequence[EscalationStepRow]
    ratings: Sequence[SatisfactionRow]
    first_level: Sequence[KnowledgeFeedbackRow]
    proposals: Sequence[ProposalRow]
    workshop_forms: Sequence[WorkshopFeedbackRow] = ()
    # (ticket, moment of the first reaction by any team: claim, question back or answer)
    first_reactions: Sequence[tuple[int, datetime]] = ()


async def period_rows(session: AsyncSession, *, start: datetime, end: datetime) -> PeriodRows:
    """Tickets opened in the period with their handoffs and escalations; ratings, first-level
    answers and proposals given in the period."""
    tickets = (
        await session.scalars(
            select(TicketRow)
            .where(TicketRow.created_at >= start, TicketRow.created_at < end)
            .order_by(TicketRow.id)
        )
    ).all()
    ids = [ticket.id for ticket in tickets]
    handoffs: Sequence[TicketEventRow] = []
    escalations: Sequence[EscalationStepRow] = []
    if ids:
        handoffs = (
            await session.scalars(
                select(TicketEventRow).where(
                    TicketEventRow.ticket_id.in_(ids), TicketEventRow.action == "handoff"
                )
            )
        ).all()
        escalations = (
            await session.scalars(
                select(EscalationStepRow).where(
                    EscalationStepRow.ticket_id.in_(ids),
                    EscalationStepRow.action.in_(["escalate", "repeat"]),
                )
            )
        ).all()
    ratings = (
        await session.scalars(
            select(SatisfactionRow).where(
                SatisfactionRow.rated_at >= start, SatisfactionRow.rated_at < end
            )
        )
    ).all()
    first_level = (
        await session.scalars(
            select(KnowledgeFeedbackRow).where(
                KnowledgeFeedbackRow.at >= start, KnowledgeFeedbackRow.at < end
            )
        )
    ).all()
    proposals = (
        await session.scalars(
            select(ProposalRow).where(ProposalRow.created_at >= start, ProposalRow.created_at < end)
        )
    ).all()
    forms = (
        await session.scalars(
            select(WorkshopFeedbackRow).where(
                WorkshopFeedbackRow.submitted_at >= start, WorkshopFeedbackRow.submitted_at < end
            )
        )
    ).all()
    reactions: Sequence[tuple[int, datetime]] = []
    if ids:
        query = (
            select(TicketEventRow.ticket_id, func.min(TicketEventRow.at))
            .where(
                TicketEventRow.ticket_id.in_(ids),
                TicketEventRow.action.in_(["claim", "ask", "resolve"]),
            )
            .group_by(TicketEventRow.ticket_id)
        )
        reactions = [(int(ticket), at) for ticket, at in (await session.execute(query)).all()]
    return PeriodRows(
        tickets, handoffs, escalations, ratings, first_level, proposals, forms, reactions
    )
