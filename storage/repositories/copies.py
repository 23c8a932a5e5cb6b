"""Copies of a person's text outside the records: notices in the outbox (waiting, delivered
or failed), messages of the local chat, raw inbound events in the inbox, and the cards a
ticket was posted under. Erasure and retention remove them together with the records, in the
caller's transaction. Never commits.

A notice about a ticket carries its number (payload "ticket_id"): that is how its copies are
found, whatever their text. Inbound events name their sender somewhere in the payload (the
shape is the adapter's), so an inbox row is the person's when any string in it is their id.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Text, cast, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.lifecycle import Action
from bot.kernel.notices import ticket_card_prefix, ticket_of_card
from storage.models import InboxRow, LocalMessageRow, OutboxRow, SentMessageRow, TicketEventRow
from storage.repositories import faq

LOCAL = "local"  # the local chat's messages live in this database (local_messages)
_CHUNK = 200  # ticket numbers per statement (retention may handle thousands at once)


def _chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield list(ids[start : start + _CHUNK])


def _about(payload: Any, ids: list[int]) -> Any:
    """A notice payload about one of these tickets."""
    return payload["ticket_id"].as_integer().in_(ids)


async def ticket_cards(session: AsyncSession, *, ids: Sequence[int]) -> set[tuple[str, str]]:
    """(platform, card key) of every card these tickets were posted (or queued) under: the
    platforms' record of posts, the outbox and the local chat. Read before the copies go."""
    found: set[tuple[str, str]] = set()
    for chunk in _chunks(ids):
        posted = select(SentMessageRow.platform, SentMessageRow.card).where(
            or_(*(SentMessageRow.card.startswith(ticket_card_prefix(n)) for n in chunk))
        )
        found |= {(platform, card) for platform, card in await session.execute(posted) if card}
        queued = select(OutboxRow.platform, OutboxRow.payload).where(
            _about(OutboxRow.payload, chunk)
        )
        found |= {
            (platform, str(payload["card"]))
            for platform, payload in await session.execute(queued)
            if payload.get("card")
        }
        local = select(LocalMessageRow.payload).where(_about(LocalMessageRow.payload, chunk))
        found |= {
            (LOCAL, str(payload["card"]))
            for (payload,) in await session.execute(local)
            if payload.get("card")
        }
    wanted = set(ids)
    return {(platform, card) for platform, card in found if ticket_of_card(card) in wanted}


async def handoff_teams(session: AsyncSession, *, ids: Sequence[int]) -> dict[int, set[str]]:
    """The teams each ticket was handed between (each had its card in its channel)."""
    teams: dict[int, set[str]] = {}
    for chunk in _chunks(ids):
        query = select(TicketEventRow.ticket_id, TicketEventRow.data).where(
            TicketEventRow.ticket_id.in_(chunk), TicketEventRow.action == Action.HANDOFF.value
        )
        for ticket_id, data in await session.execute(query):
            named = (data.get("from_team"), data.get("to_team"))
            teams.setdefault(ticket_id, set()).update(str(team) for team in named if team)
    return teams


async def forget_ticket_copies(session: AsyncSession, *, ids: Sequence[int]) -> int:
    """Delete every notice about these tickets from the outbox (whatever its state) and from
    the local chat: they quote descriptions, replies, names. Returns how many rows went."""
    gone = 0
    for chunk in _chunks(ids):
        for model in (OutboxRow, LocalMessageRow):
            result: Any = await session.execute(delete(model).where(_about(model.payload, chunk)))
            gone += int(result.rowcount or 0)
        gone += await faq.forget_undecided(session, ticket_ids=chunk)  # may quote the request
    return gone


async def forget_inbound(session: AsyncSession, *, platform: str | None, user_id: str) -> int:
    """Delete the raw inbound events the person sent (handled or not): their text and id."""
    escaped = json.dumps(user_id)[1:-1]  # how the id appears inside the stored JSON text
    query = select(InboxRow.id, InboxRow.payload).where(
        cast(InboxRow.payload, Text).contains(escaped, autoescape=True)
    )
    if platform is not None:
        query = query.where(InboxRow.platform == platform)
    ids = [row_id for row_id, payload in await session.execute(query) if _names(payload, user_id)]
    for chunk in _chunks(ids):
        await session.execute(delete(InboxRow).where(InboxRow.id.in_(chunk)))
    return len(ids)


async def forget_mentions(session: AsyncSession, *, text: str) -> int:
    """Delete the notices in the outbox and the local chat that quote `text` (a caller's
    phone number or e-mail address): a phone note's summary reaches the staff member before
    its ticket exists, so it carries no ticket number to be found by."""
    escaped = json.dumps(text)[1:-1]
    gone = 0
    for model in (OutboxRow, LocalMessageRow):
        query = select(model.id, model.payload).where(
            cast(model.payload, Text).contains(escaped, autoescape=True)
        )
        ids = [row_id for row_id, payload in await session.execute(query) if _quotes(payload, text)]
        for chunk in _chunks(ids):
            result: Any = await session.execute(delete(model).where(model.id.in_(chunk)))
            gone += int(result.rowcount or 0)
    return gone


def _quotes(value: Any, text: str) -> bool:
    """Whether some string in a JSON value contains `text`."""
    if isinstance(value, str):
        return text in value
    if isinstance(value, dict):
        return any(_quotes(item, text) for item in value.values())
    if isinstance(value, list):
        return any(_quotes(item, text) for item in value)
    return False


def _names(value: Any, user_id: str) -> bool:
    """Whether some string in a JSON value is exactly `user_id`."""
    if isinstance(value, str):
        return value == user_id
    if isinstance(value, dict):
        return any(_names(item, user_id) for item in value.values())
    if isinstance(value, list):
        return any(_names(item, user_id) for item in value)
    return False
