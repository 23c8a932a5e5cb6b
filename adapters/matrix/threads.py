"""Replies about a ticket in the thread of its card (`Notice.thread`): an ``m.thread``
relation to the card's first post, with the reply fallback for clients without threads.

The card's post is the one the sent-messages table keeps for edits (its original event:
edits of a card never start a thread). Where the card was never posted in the room, or
the notice is a card itself, the notice goes into the room's main timeline.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.matrix.parse import PLATFORM
from bot.kernel.notices import Notice, ticket_card_prefix
from storage.repositories import sent_messages


async def thread_relation(
    sessions: async_sessionmaker[AsyncSession], room_id: str, notice: Notice
) -> dict[str, Any] | None:
    """The ``m.relates_to`` that puts `notice` into its ticket card's thread, or None."""
    if notice.thread is None or notice.card is not None:
        return None
    async with sessions() as session:
        root = await sent_messages.thread_root(
            session,
            platform=PLATFORM,
            room=room_id,
            card_prefix=ticket_card_prefix(notice.thread),
        )
    if root is None:
        return None
    return {
        "rel_type": "m.thread",
        "event_id": root.message_ref,
        "is_falling_back": True,
        "m.in_reply_to": {"event_id": root.message_ref},
    }
