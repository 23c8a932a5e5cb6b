"""The local chat 'platform': a message table that terminal shells read from."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import LocalCursorRow, LocalMessageRow, LocalTypedRow
from storage.repositories._dialect import insert_ignoring_conflicts


async def post_message(
    session: AsyncSession,
    *,
    conversation: str,
    payload: dict[str, Any],
    at: datetime,
    outbox_id: int | None,
) -> None:
    """Store a delivered message; a second delivery of the same outbox row is ignored."""
    values = {
        "conversation": conversation,
        "payload": payload,
        "created_at": at,
        "outbox_id": outbox_id,
    }
    await session.execute(insert_ignoring_conflicts(session, LocalMessageRow, values))


async def take_back_card(session: AsyncSession, *, conversation: str, card: str) -> int:
    """Delete what a card showed in a conversation (every post of it); returns how many."""
    result: Any = await session.execute(
        delete(LocalMessageRow).where(
            LocalMessageRow.conversation == conversation,
            LocalMessageRow.payload["card"].as_string() == card,
        )
    )
    return int(result.rowcount or 0)


async def messages_after(
    session: AsyncSession, *, conversations: Iterable[str], after_id: int
) -> Sequence[LocalMessageRow]:
    """Messages in these conversations newer than `after_id`, oldest first."""
    query = (
        select(LocalMessageRow)
        .where(
            LocalMessageRow.conversation.in_(list(conversations)),
            LocalMessageRow.id > after_id,
        )
        .order_by(LocalMessageRow.id)
    )
    return (await session.scalars(query)).all()


async def get_cursor(session: AsyncSession, *, user_id: str) -> int:
    """The id of the last message this local user has seen (0: none)."""
    row = await session.get(LocalCursorRow, user_id)
    return 0 if row is None else row.last_message_id


async def set_cursor(session: AsyncSession, *, user_id: str, last_message_id: int) -> None:
    """Remember how far this local user has read."""
    row = await session.get(LocalCursorRow, user_id)
    if row is None:
        session.add(LocalCursorRow(user_id=user_id, last_message_id=last_message_id))
    else:
        row.last_message_id = max(row.last_message_id, last_message_id)
    await session.flush()


async def keep_typed(session: AsyncSession, row: LocalTypedRow) -> None:
    """Journal a typed line before its turn runs."""
    session.add(row)
    await session.flush()


async def typed_waiting(session: AsyncSession, *, user_id: str) -> Sequence[LocalTypedRow]:
    """The lines this user typed whose turn is not known to be handled, oldest first."""
    query = select(LocalTypedRow).where(LocalTypedRow.user_id == user_id).order_by(LocalTypedRow.id)
    return (await session.scalars(query)).all()


async def forget_typed(session: AsyncSession, *, event_id: str) -> None:
    """The line's turn is handled (or was a duplicate): drop it from the journal."""
    await session.execute(delete(LocalTypedRow).where(LocalTypedRow.event_id == event_id))
