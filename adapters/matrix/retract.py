"""Taking back a card on Matrix (a retract notice: the ticket's data was erased).

An edit (m.replace) does not remove text: the original event and every earlier edit keep
their content, and any member can read it ("view source", the /relations API). So the
original post and each edit of it are redacted, the notice's text as the reason, and the
notice is posted as a new message (clients show no edit of a redacted event). The
homeserver strips a redacted event's content for everyone; whether it also purges it from
its database is the server's retention policy (Synapse: `redaction_retention_period`).

Retries are harmless: redacting again changes nothing, the redactions' transaction ids are
derived from the event, and the post repeats its transaction id, so it is not doubled.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote, urlencode

from nio import AsyncClient, RoomRedactResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.matrix import render
from adapters.matrix.errors import MatrixDeliveryError, delivery_error
from adapters.matrix.parse import PLATFORM
from adapters.matrix.rooms import RoomDirectory
from bot.kernel.markup import to_plain
from bot.kernel.notices import Notice, Target
from storage.repositories import sent_messages

Send = Callable[[str, dict[str, Any], str], Awaitable[str]]  # (room, content, txn) -> event id
PAGE = 100  # edits asked for per request


async def retract_card(
    client: AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    rooms: RoomDirectory,
    target: Target,
    notice: Notice,
    txn: str,
    send: Send,
) -> str | None:
    """Redact the card's post in the target's room and its edits, then post `notice`; None
    (nothing sent) when the card was never shown there. Never opens a room for it."""
    assert notice.card is not None
    if target.kind == "channel":
        room_id: str | None = await rooms.room_for_channel(target.address)
    else:
        room_id = await rooms.known_dm(target.address)
    if room_id is None:
        return None
    async with sessions() as session:
        original = await sent_messages.card_message(
            session, platform=PLATFORM, room=room_id, card=notice.card
        )
    if original is None:
        return None
    reason = to_plain(notice.text)
    shown = [*await _edits(client, room_id, original.message_ref), original.message_ref]
    for event_id in shown:
        digest = hashlib.sha256(event_id.encode()).hexdigest()[:16]
        answer = await client.room_redact(room_id, event_id, reason, tx_id=f"{txn}-x{digest}")
        if not isinstance(answer, RoomRedactResponse):
            raise delivery_error(f"redacting {event_id} in {room_id}", answer)
    return await send(room_id, render.message_content(notice), txn)


async def _edits(client: AsyncClient, room_id: str, event_id: str) -> list[str]:
    """The ids of every m.replace of `event_id` (all pages)."""
    base = (
        f"/_matrix/client/v1/rooms/{quote(room_id, safe='')}"
        f"/relations/{quote(event_id, safe='')}/m.replace"
    )
    headers = {"Authorization": f"Bearer {client.access_token}"}
    found: list[str] = []
    token: str | None = None
    while True:
        query = {"limit": str(PAGE)} | ({} if token is None else {"from": token})
        response = await client.send("GET", f"{base}?{urlencode(query)}", headers=headers)
        try:
            if response.status != 200:
                raise MatrixDeliveryError(
                    f"the edits of {event_id} in {room_id}: answered {response.status}",
                    retry_after=60,
                )
            page = await response.json()
        finally:
            response.release()
        found += [str(event["event_id"]) for event in page.get("chunk", []) if "event_id" in event]
        token = page.get("next_batch")
        if not token:
            return found
