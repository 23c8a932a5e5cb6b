"""Users of homeservers that are not allowed: not served, told so once.

`allowed_homeservers` decides who is served, not only whose invites are accepted: a user
of another server may already share a DM with the bot (the list was narrowed later, or an
allowed user invited them). Their events reach the inbox only as "foreign" payloads
without text (parse.py), never the engine, so nothing they write is stored as a request.
In a DM they get ONE refusal, in German and English (no profile says their language): the
outbox's dedupe key makes later messages add nothing, until delivered rows are pruned with
the transport copies (privacy retention), after which one more refusal may go out. In a
team or group room they are ignored without a word (a room full of staff is no place for
a refusal nobody asked for). Each refusal or ignored event is logged at INFO, naming the
server and the room, never the text.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.matrix.parse import PLATFORM
from adapters.matrix.rooms import RoomDirectory
from bot.i18n import t
from bot.kernel.notices import Notice, Target
from storage.repositories import outbox

REFUSAL = "error.foreign_homeserver"
log = logging.getLogger(__name__)


def refusal_notice(server: str) -> Notice:
    """The refusal in German, then English."""
    return Notice(text="\n\n".join(t(REFUSAL, locale, server=server) for locale in ("de", "en")))


def dedupe_key(sender: str) -> str:
    """One refusal per user: a fixed-length key (user ids may be 255 characters long)."""
    return "matrix-foreign:" + hashlib.sha256(sender.encode()).hexdigest()[:40]


async def refuse(
    sessions: async_sessionmaker[AsyncSession],
    rooms: RoomDirectory,
    payload: dict[str, Any],
    *,
    at: datetime,
) -> None:
    """Handle a foreign payload: in a DM, queue the refusal (once per user); else ignore."""
    sender, room_id = str(payload["sender"]), str(payload["room_id"])
    server = sender.partition(":")[2]
    if not payload.get("is_direct"):
        log.info("ignored an event from a user of %s in room %s: not served", server, room_id)
        return
    await rooms.remember_direct(sender, room_id)  # the refusal goes where they wrote
    async with sessions() as session, session.begin():
        await outbox.enqueue(
            session,
            target=Target(PLATFORM, "user", sender),
            payload=refusal_notice(server).to_json(),
            at=at,
            dedupe_key=dedupe_key(sender),
        )
    log.info(
        "not serving a user of %s in DM %s (homeserver not allowed); refused once", server, room_id
    )
