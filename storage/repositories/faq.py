"""FAQ proposals and the accepted entries the intake serves (storage.models_faq).

A decision is a compare-and-set on the row's version and status: of two presses on the
same proposal (two members of Team BK, or a button pressed twice), one decides, the other
finds it decided and changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import FaqEntryRow

PROPOSED, ACCEPTED, REJECTED = "proposed", "accepted", "rejected"
MAX_SERVED = 500  # accepted entries the intake reads per turn (far more than a FAQ holds)


async def add(session: AsyncSession, *, row: FaqEntryRow) -> FaqEntryRow:
    """Store a proposal and assign its number."""
    session.add(row)
    await session.flush()
    return row


async def get(session: AsyncSession, *, entry_id: int) -> FaqEntryRow | None:
    """The proposal or entry with this number, or None."""
    return await session.get(FaqEntryRow, entry_id)


async def open_for_ticket(session: AsyncSession, *, ticket_id: int) -> FaqEntryRow | None:
    """A proposal of this ticket still waiting for Team BK, if any."""
    query = (
        select(FaqEntryRow)
        .where(FaqEntryRow.ticket_id == ticket_id, FaqEntryRow.status == PROPOSED)
        .order_by(FaqEntryRow.id)
        .limit(1)
    )
    return (await session.scalars(query)).first()


async def waiting(session: AsyncSession, *, limit: int = 20) -> Sequence[FaqEntryRow]:
    """Proposals waiting for review, oldest first."""
    query = (
        select(FaqEntryRow)
        .where(FaqEntryRow.status == PROPOSED)
        .order_by(FaqEntryRow.id)
        .limit(limit)
    )
    return (await session.scalars(query)).all()


async def accepted(session: AsyncSession, *, limit: int = MAX_SERVED) -> Sequence[FaqEntryRow]:
    """The accepted entries (at most `limit`: a bounded read per turn), oldest first."""
    query = (
        select(FaqEntryRow)
        .where(FaqEntryRow.status == ACCEPTED)
        .order_by(FaqEntryRow.id)
        .limit(limit)
    )
    return (await session.scalars(query)).all()


async def decide(
    session: AsyncSession,
    *,
    row: FaqEntryRow,
    status: str,
    by: str,
    at: datetime,
    question: str | None = None,
    answer: str | None = None,
    groups: Sequence[str] | None = None,
) -> bool:
    """Accept or reject a waiting proposal (with the texts and groups as edited); False when
    it was decided meanwhile (nothing changes)."""
    values: dict[str, object] = {
        "status": status,
        "decided_by": by,
        "decided_at": at,
        "version": row.version + 1,
    }
    if question is not None:
        values["question"] = question
    if answer is not None:
        values["answer"] = answer
    if groups is not None:
        values["groups"] = list(groups)
    statement = (
        update(FaqEntryRow)
        .where(
            FaqEntryRow.id == row.id,
            FaqEntryRow.version == row.version,
            FaqEntryRow.status == PROPOSED,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    result = await session.execute(statement)
    decided = getattr(result, "rowcount", 0) == 1
    await session.refresh(row)
    return decided


async def forget_undecided(session: AsyncSession, *, ticket_ids: Sequence[int]) -> int:
    """Erasure and retention of these tickets: their proposals not accepted (waiting or
    rejected) go, since their question may be the request's own words; an accepted entry
    is Team BK's reviewed text and stays. Returns how many went."""
    if not ticket_ids:
        return 0
    result: Any = await session.execute(
        delete(FaqEntryRow).where(
            FaqEntryRow.ticket_id.in_(list(ticket_ids)), FaqEntryRow.status != ACCEPTED
        )
    )
    return int(result.rowcount or 0)
