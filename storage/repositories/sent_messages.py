"""Messages adapters have posted: the latest post of a card (to edit it) and offered choices."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.kernel import limits
from storage.models import SentMessageRow
from storage.repositories._dialect import insert_ignoring_conflicts


async def record_sent(
    session: AsyncSession,
    *,
    platform: str,
    room: str,
    message_ref: str,
    card: str | None,
    choices: list[str],
    at: datetime,
) -> None:
    """Remember a posted message with its card key and the ids of its choices, in order."""
    values = {
        "platform": platform,
        "room": room,
        "message_ref": message_ref,
        "card": card,
        "choices": {"ids": choices},
        "created_at": at,
    }
    await session.execute(insert_ignoring_conflicts(session, SentMessageRow, values))


async def card_message(
    session: AsyncSession, *, platform: str, room: str, card: str
) -> SentMessageRow | None:
    """The first message that showed this card in this room (the one to edit)."""
    query = (
        select(SentMessageRow)
        .where(
            SentMessageRow.platform == platform,
            SentMessageRow.room == room,
            SentMessageRow.card == card,
        )
        .order_by(SentMessageRow.id)
        .limit(1)
    )
    return await session.scalar(query)


async def thread_root(
    session: AsyncSession, *, platform: str, room: str, card_prefix: str
) -> SentMessageRow | None:
    """The newest card post in this room whose key starts with `card_prefix` (a ticket's
    card: its latest stay in this queue), whose thread replies about the ticket go into."""
    mine = SentMessageRow.card.startswith(card_prefix, autoescape=True)
    return await _newest(session, platform=platform, room=room, condition=mine)


async def latest_card_message(
    session: AsyncSession, *, platform: str, room: str, card: str
) -> SentMessageRow | None:
    """The latest message posted (not edited) with this card key in this room."""
    mine = SentMessageRow.card == card
    return await _newest(session, platform=platform, room=room, condition=mine)


async def _newest(
    session: AsyncSession, *, platform: str, room: str, condition: ColumnElement[bool]
) -> SentMessageRow | None:
    query = (
        select(SentMessageRow)
        .where(SentMessageRow.platform == platform, SentMessageRow.room == room, condition)
        .order_by(SentMessageRow.id.desc())
        .limit(1)
    )
    return await session.scalar(query)


async def by_ref(
    session: AsyncSession, *, platform: str, message_ref: str
) -> SentMessageRow | None:
    """A posted message by its platform id (a reaction names it; Matrix event ids are unique
    on the homeserver, so the room is not needed)."""
    query = select(SentMessageRow).where(
        SentMessageRow.platform == platform, SentMessageRow.message_ref == message_ref
    )
    return await session.scalar(query)


async def update_choices(
    session: AsyncSession, *, platform: str, room: str, message_ref: str, choices: list[str]
) -> None:
    """An edited card offers other choices now (reactions map to the new ones)."""
    query = select(SentMessageRow).where(
        SentMessageRow.platform == platform,
        SentMessageRow.room == room,
        SentMessageRow.message_ref == message_ref,
    )
    row = await session.scalar(query)
    if row is not None:
        row.choices = {**row.choices, "ids": choices}  # keeps the reactions added to it
        await session.flush()


def own_reactions(row: SentMessageRow) -> dict[str, str]:
    """The reactions the adapter added to a message itself: key -> the reaction's id."""
    return dict(row.choices.get("reactions", {}))


async def set_own_reaction(
    session: AsyncSession, *, platform: str, message_ref: str, key: str, reaction: str | None
) -> SentMessageRow | None:
    """Record (or, with None, forget) a reaction the adapter added to its message; the row
    as it is now (its current choices say whether the key is still offered)."""
    query = select(SentMessageRow).where(
        SentMessageRow.platform == platform, SentMessageRow.message_ref == message_ref
    )
    row = await session.scalar(query.with_for_update())
    if row is None:
        return None
    reactions = own_reactions(row)
    if reaction is None:
        reactions.pop(key, None)
    elif limits.fits("message_ref", reaction):
        reactions[key] = reaction
    row.choices = {**row.choices, "reactions": reactions}
    await session.flush()
    return row


async def repoint_card(
    session: AsyncSession, *, row_id: int, message_ref: str, choices: list[str]
) -> None:
    """A card's post was gone (deleted, its conversation too) and was posted anew: the new
    post is the one edited from now on, with the choices it shows (if its id fits)."""
    if not limits.fits("message_ref", message_ref):
        return
    await session.execute(
        update(SentMessageRow)
        .where(SentMessageRow.id == row_id)
        .values(message_ref=message_ref, choices={"ids": choices})
    )


async def remember_post(
    session: AsyncSession,
    *,
    platform: str,
    room: str,
    message_ref: str,
    edited: bool,
    card: str | None,
    choices: list[str],
    at: datetime,
) -> None:
    """After posting (or editing, `edited`) a message: record it, or its new choices. A
    platform id longer than the columns is not recorded (the length policy): that card is
    posted anew next time instead of edited, and reactions to it are not read."""
    if not (limits.fits("message_ref", message_ref) and limits.fits("conversation_id", room)):
        return
    if edited:
        await update_choices(
            session, platform=platform, room=room, message_ref=message_ref, choices=choices
        )
    elif message_ref:
        await record_sent(
            session,
            platform=platform,
            room=room,
            message_ref=message_ref,
            card=card,
            choices=choices,
            at=at,
        )
