"""What the evaluation reads: the rows of one period, in a few range queries. Never writes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    KnowledgeFeedbackRow,
    ProposalRow,
    SatisfactionRow,
    WorkshopFeedbackRow,
)
from storage.repositories.report_tickets import escalations_by_team, handoff_sources


@dataclass(frozen=True)
class PeriodRows:
    """Everything but the tickets the report of [start, end) is computed from (the tickets
    are streamed as narrow facts, report_tickets.py)."""

    ratings: Sequence[SatisfactionRow]
    first_level: Sequence[KnowledgeFeedbackRow]
    proposals: Sequence[ProposalRow]
    workshop_forms: Sequence[WorkshopFeedbackRow] = ()
    # The team each handoff of the period's tickets came from, as written.
    handoff_sources: Sequence[str] = ()
    # Escalation steps of the period's tickets per ticket's team, most first.
    escalations_by_team: Sequence[tuple[str, int]] = ()


async def period_rows(session: AsyncSession, *, start: datetime, end: datetime) -> PeriodRows:
    """Handoffs and escalations of the tickets opened in the period; ratings, first-level
    answers and proposals given in the period."""
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
    return PeriodRows(
        ratings,
        first_level,
        proposals,
        forms,
        await handoff_sources(session, start=start, end=end),
        await escalations_by_team(session, start=start, end=end),
    )
