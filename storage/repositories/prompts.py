"""Open prompts: the questions a person has not answered yet, each with its own id.

A person may have several at once (a rating here, a question back there); a button carries
its prompt's id, so an answer to a prompt that is closed is recognised and changes nothing.
Never commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OpenPromptRow


async def open_prompt(
    session: AsyncSession,
    *,
    platform: str,
    user_id: str,
    kind: str,
    ticket_id: int | None,
    at: datetime,
    typed_until: datetime,
    held_text: str | None = None,
) -> OpenPromptRow:
    """Record a question just asked; its id is known after this call (for the buttons)."""
    row = OpenPromptRow(
        platform=platform,
        user_id=user_id,
        kind=kind,
        ticket_id=ticket_id,
        created_at=at,
        typed_until=typed_until,
        held_text=held_text,
    )
    session.add(row)
    await session.flush()
    return row


async def get_prompt(session: AsyncSession, *, prompt_id: int) -> OpenPromptRow | None:
    """A prompt by id, open or closed."""
    return await session.get(OpenPromptRow, prompt_id)


async def typed_candidates(
    session: AsyncSession,
    *,
    platform: str,
    user_id: str,
    now: datetime,
    kind: str | None = None,
    limit: int | None = None,
) -> list[OpenPromptRow]:
    """The person's open prompts a typed message may still answer, newest first (only of
    `kind`, at most `limit`, when given)."""
    query = (
        select(OpenPromptRow)
        .where(
            OpenPromptRow.platform == platform,
            OpenPromptRow.user_id == user_id,
            OpenPromptRow.closed_at.is_(None),
            OpenPromptRow.typed_until > now,
        )
        .order_by(OpenPromptRow.created_at.desc(), OpenPromptRow.id.desc())
    )
    if kind is not None:
        query = query.where(OpenPromptRow.kind == kind)
    if limit is not None:
        query = query.limit(limit)
    return list((await session.scalars(query)).all())


async def open_for_ticket(
    session: AsyncSession, *, kind: str, ticket_id: int
) -> list[OpenPromptRow]:
    """The open prompts of one kind about one ticket."""
    query = select(OpenPromptRow).where(
        OpenPromptRow.kind == kind,
        OpenPromptRow.ticket_id == ticket_id,
        OpenPromptRow.closed_at.is_(None),
    )
    return list((await session.scalars(query)).all())


async def close_prompt(
    session: AsyncSession, *, prompt_id: int, outcome: str, at: datetime
) -> bool:
    """Close a prompt once; False if it was closed already (a second answer is stale)."""
    result = await session.execute(
        update(OpenPromptRow)
        .where(OpenPromptRow.id == prompt_id, OpenPromptRow.closed_at.is_(None))
        .values(closed_at=at, outcome=outcome)
    )
    return bool(getattr(result, "rowcount", 0))


async def close_for_ticket(
    session: AsyncSession, *, kind: str, ticket_id: int, outcome: str, at: datetime
) -> int:
    """Close every open prompt of `kind` about a ticket (it was answered another way)."""
    result = await session.execute(
        update(OpenPromptRow)
        .where(
            OpenPromptRow.kind == kind,
            OpenPromptRow.ticket_id == ticket_id,
            OpenPromptRow.closed_at.is_(None),
        )
        .values(closed_at=at, outcome=outcome)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def latest_open(
    session: AsyncSession, *, platform: str, user_id: str, kind: str
) -> OpenPromptRow | None:
    """The person's newest open prompt of `kind`, if any."""
    query = (
        select(OpenPromptRow)
        .where(
            OpenPromptRow.platform == platform,
            OpenPromptRow.user_id == user_id,
            OpenPromptRow.kind == kind,
            OpenPromptRow.closed_at.is_(None),
        )
        .order_by(OpenPromptRow.id.desc())
        .limit(1)
    )
    return (await session.scalars(query)).first()


async def close_all(
    session: AsyncSession, *, platform: str, user_id: str, kind: str, outcome: str, at: datetime
) -> int:
    """Close every open prompt of `kind` the person has (they were superseded)."""
    result = await session.execute(
        update(OpenPromptRow)
        .where(
            OpenPromptRow.platform == platform,
            OpenPromptRow.user_id == user_id,
            OpenPromptRow.kind == kind,
            OpenPromptRow.closed_at.is_(None),
        )
        .values(closed_at=at, outcome=outcome)
    )
    return int(getattr(result, "rowcount", 0) or 0)
