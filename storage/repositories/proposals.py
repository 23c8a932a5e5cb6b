"""Ideas and round-table topics, and whether first-level answers helped."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import KnowledgeFeedbackRow, ProposalRow


async def add_proposal(session: AsyncSession, *, row: ProposalRow) -> ProposalRow:
    """Store a proposal and assign its number."""
    session.add(row)
    await session.flush()
    return row


async def open_proposals(session: AsyncSession, *, limit: int = 50) -> Sequence[ProposalRow]:
    """Open proposals, newest first."""
    query = (
        select(ProposalRow)
        .where(ProposalRow.status == "open")
        .order_by(ProposalRow.id.desc())
        .limit(limit)
    )
    return (await session.scalars(query)).all()


async def record_answer_feedback(
    session: AsyncSession,
    *,
    at: datetime,
    platform: str,
    user_id: str,
    topic_id: str,
    customer_group_id: str | None,
    entry_id: str,
    helped: bool,
) -> None:
    """Whether a first-level answer helped (helped: answered at first contact)."""
    session.add(
        KnowledgeFeedbackRow(
            at=at,
            platform=platform,
            user_id=user_id,
            topic_id=topic_id,
            customer_group_id=customer_group_id,
            entry_id=entry_id,
            helped=helped,
        )
    )
    await session.flush()
