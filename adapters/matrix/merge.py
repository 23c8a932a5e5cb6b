"""Status messages that replace the previous one instead of piling up (Notice.merge).

Claim, unclaim, claim again within minutes used to give the requester three messages in a
row. Now a notice with a `merge` key edits (m.replace) the DM's previous post with that key
instead, when that post is at most MERGE_WINDOW old and is still the last thing said in the
room: nothing from the bot or the requester since (their reactions and the bot's edits do
not count). Otherwise it is posted as usual, and becomes the post the next one may edit.

Why here and not in the outbox: each notice still goes through the outbox once, in order,
and is delivered exactly once (as an edit, with its own transaction id; a retry repeats
that id, so the homeserver does not double it, whichever way the retry decides). Holding
status notices back in the outbox to merge them would delay, or reorder, what follows them
to the same person; an edit merges what has already gone out.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from nio import AsyncClient, MessageDirection, RoomMessagesResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.matrix.parse import PLATFORM
from bot.kernel.notices import Notice
from storage.repositories import sent_messages

MERGE_WINDOW = timedelta(minutes=10)
PREFIX = "merge:"  # the sent_messages card key of a mergeable post
LOOK_BACK = 20  # events read back to find the last thing said
_NOT_SAID = frozenset({"m.annotation", "m.replace"})


def mergeable(notice: Notice) -> bool:
    """Whether the notice is a plain status that may replace an earlier one."""
    return (
        notice.merge is not None
        and notice.card is None
        and notice.image is None
        and not (notice.choices)
    )


async def earlier_post(
    client: AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    room_id: str,
    notice: Notice,
    now: datetime,
) -> str | None:
    """The event id of the post this notice edits instead of posting anew, or None."""
    if not mergeable(notice):
        return None
    async with sessions() as session:
        row = await sent_messages.latest_card_message(
            session, platform=PLATFORM, room=room_id, card=f"{PREFIX}{notice.merge}"
        )
    if row is None or now - row.created_at > MERGE_WINDOW:
        return None
    return row.message_ref if await last_said(client, room_id) == row.message_ref else None


async def remember(
    sessions: async_sessionmaker[AsyncSession],
    room_id: str,
    notice: Notice,
    event_id: str,
    now: datetime,
) -> None:
    """A mergeable notice was posted anew: the next one with its key may edit it."""
    if not mergeable(notice):
        return
    async with sessions() as session, session.begin():
        await sent_messages.remember_post(
            session,
            platform=PLATFORM,
            room=room_id,
            message_ref=event_id,
            edited=False,
            card=f"{PREFIX}{notice.merge}",
            choices=[],
            at=now,
        )


async def last_said(client: AsyncClient, room_id: str) -> str | None:
    """The id of the room's latest message (from anyone), skipping state, reactions, edits
    and redacted events; None if the last LOOK_BACK events hold none (or on an error)."""
    answer = await client.room_messages(room_id, direction=MessageDirection.back, limit=LOOK_BACK)
    if not isinstance(answer, RoomMessagesResponse):
        return None
    for event in answer.chunk:
        source: dict[str, Any] = event.source
        if "state_key" in source or source.get("type") == "m.room.redaction":
            continue
        if "redacted_because" in source.get("unsigned", {}):
            continue
        relation = source.get("content", {}).get("m.relates_to", {})
        if source.get("type") == "m.reaction" or relation.get("rel_type") in _NOT_SAID:
            continue
        return str(source.get("event_id"))
    return None
