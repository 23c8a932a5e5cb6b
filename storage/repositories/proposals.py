"""Ideas and round-table topics, and whether first-level answers helped."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import KnowledgeFeedbackRow, ProposalRow


async def add_proposal(session: AsyncSession, *, row: ProposalRow) -> ProposalRow:
    """Store a proposal and assign its number."""
    session.add(row)
    await session.flush()
    return row


async def open_proposals(session: AsyncSession, *, limit: int = 50) -> Sequence[ProposalRow]:
    """Proposals still on the table (open, or on the next round table's agenda), newest first."""
    query = (
        select(ProposalRow)
        .where(ProposalRow.status.in_(["open", "scheduled"]))
        .order_by(ProposalRow.id.desc())
        .limit(limit)
    )
    return (await session.scalars(query)).all()


async def get_proposal(session: AsyncSession, *, proposal_id: int) -> ProposalRow | None:
    """The proposal with this number, or None."""
    return await session.get(ProposalRow, proposal_id)


async def merged_into(session: AsyncSession, *, proposal_id: int) -> Sequence[ProposalRow]:
    """The proposals merged into this one."""
    query = select(ProposalRow).where(ProposalRow.merged_into == proposal_id)
    return (await session.scalars(query.order_by(ProposalRow.id))).all()


async def merged_counts(session: AsyncSession, *, ids: Sequence[int]) -> dict[int, int]:
    """How many proposals were merged into each of these."""
    if not ids:
        return {}
    query = (
        select(ProposalRow.merged_into, func.count())
        .where(ProposalRow.merged_into.in_(list(ids)))
        .group_by(ProposalRow.merged_into)
    )
    return {int(key): int(count) for key, count in (await session.execute(query)).all() if key}


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
