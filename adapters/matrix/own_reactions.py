"""The reactions the bot adds to its own messages: encrypted where the room is, and only
those the message still offers.

Encrypted rooms: Element sends reactions encrypted (the relation stays in the clear, so the
server can still aggregate them); matrix-nio 0.26's `room_send` deliberately sends
`m.reaction` unencrypted, which tells the server (and anyone reading its database) which
choice the bot offered. So a reaction is encrypted here, the way `room_send` encrypts a
message (members synced, the room key shared), and sent as `m.room.encrypted`.

Stale reactions: a card's reactions follow its buttons. The ✋ of a claimed card, or the ✅
of one handed to another team, is redacted when the edit goes out, and a button that comes
back (an unclaim) gets its reaction again. Each reaction's event id is kept with the post
(sent_messages), so this survives a restart. Adding and pruning race (a claim within the
second before the reactions are added): both record first and read the post's current
choices after, so whichever comes second takes away what is no longer offered.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from nio import Api, AsyncClient, RoomRedactResponse, RoomSendResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.matrix import render
from adapters.matrix.errors import MatrixDeliveryError
from adapters.matrix.parse import PLATFORM
from bot.i18n import chosen_locale, t
from bot.kernel.notices import Choice
from storage.models import SentMessageRow
from storage.repositories import profiles, sent_messages

log = logging.getLogger(__name__)
DUPLICATE = "M_DUPLICATE_ANNOTATION"  # Synapse: this sender reacted so already


async def send_reaction(
    client: AsyncClient, room_id: str, content: dict[str, Any], txn_id: str
) -> Any:
    """Send an m.reaction, encrypted in an encrypted room; nio's answer (or error answer)."""
    room = client.rooms.get(room_id)
    if client.olm is None or room is None or not room.encrypted:
        return await client.room_send(room_id, "m.reaction", content, tx_id=txn_id)
    if not room.members_synced:
        await client.joined_members(room_id)
        if client.should_query_keys:
            await client.keys_query()
    if client.olm.should_share_group_session(room_id):
        sharing = client.sharing_session.get(room_id)
        if sharing is not None:
            await sharing.wait()
        else:
            await client.share_group_session(room_id, ignore_unverified_devices=True)
    event_type, encrypted = client.encrypt(room_id, "m.reaction", content)
    method, path, data = Api.room_send(client.access_token, room_id, event_type, encrypted, txn_id)
    return await client._send(RoomSendResponse, method, path, data, (room_id,))


def offered(choice_ids: list[str]) -> set[str]:
    """The reaction keys a message with these choices offers."""
    return {key for key in render.reaction_keys([Choice(c, "") for c in choice_ids]) if key}


class OwnReactions:
    """Adds the reactions a message offers and takes back those it no longer offers."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], send: Any, client: Any) -> None:
        self.sessions = sessions
        self._send = send  # (room, content, txn, event_type) -> event id; raises DeliveryError
        self._client = client  # () -> the AsyncClient now, or None

    async def add(self, room_id: str, event_id: str, keys: list[str], txn: str) -> None:
        """Add these reactions (as far as the message still offers them), recording each."""
        for index, key in enumerate(keys):
            if not key:
                continue
            row = await self._row(event_id)
            if row is not None and (
                key not in offered(list(row.choices.get("ids", [])))  # edited meanwhile
                or key in sent_messages.own_reactions(row)  # added meanwhile
            ):
                continue
            try:
                reaction = await self._send(
                    room_id, render.reaction_content(event_id, key), f"{txn}-r{index}", "m.reaction"
                )
            except MatrixDeliveryError as error:
                # the other of an edit and the first adding was quicker: there it is
                duplicate = error.errcode == DUPLICATE
                (log.info if duplicate else log.warning)(
                    "could not add reaction %s to %s: %r", key, event_id, error
                )
                continue
            except Exception as error:  # decoration: never holds up anything
                log.warning("could not add reaction %s to %s: %r", key, event_id, error)
                continue
            await self._record(room_id, event_id, key, reaction)

    async def follow(self, room_id: str, event_id: str, txn: str) -> None:
        """The message was edited: redact reactions it no longer offers, add the ones it
        offers again (only for messages whose reactions were recorded). Decoration: a
        failure is logged, the edit stays delivered."""
        try:
            await self._follow(room_id, event_id, txn)
        except Exception as error:
            log.warning("reactions of %s not brought up to date: %r", event_id, error)

    async def _follow(self, room_id: str, event_id: str, txn: str) -> None:
        row = await self._row(event_id)
        if row is None:
            return
        now = offered(list(row.choices.get("ids", [])))
        mine = sent_messages.own_reactions(row)
        for key, reaction in mine.items():
            if key not in now:
                await self._redact(room_id, event_id, key, reaction)
        if "reactions" in row.choices:  # else never added (a post from before this)
            keys = render.reaction_keys([Choice(c, "") for c in row.choices.get("ids", [])])
            await self.add(room_id, event_id, [k if k not in mine else "" for k in keys], txn)

    async def _record(self, room_id: str, event_id: str, key: str, reaction: str) -> None:
        async with self.sessions() as session, session.begin():
            row = await sent_messages.set_own_reaction(
                session, platform=PLATFORM, message_ref=event_id, key=key, reaction=reaction
            )
            still = row is not None and key in offered(list(row.choices.get("ids", [])))
        if not still:  # the edit came between: take it back
            await self._redact(room_id, event_id, key, reaction)

    async def _redact(self, room_id: str, event_id: str, key: str, reaction: str) -> None:
        client = self._client()
        if client is None:
            return
        digest = hashlib.sha256(reaction.encode()).hexdigest()[:16]
        answer = await client.room_redact(room_id, reaction, tx_id=f"hotline-unreact-{digest}")
        if not isinstance(answer, RoomRedactResponse):
            log.warning("could not take back reaction %s on %s: %s", key, event_id, answer)
            return
        async with self.sessions() as session, session.begin():
            await sent_messages.set_own_reaction(
                session, platform=PLATFORM, message_ref=event_id, key=key, reaction=None
            )

    async def _row(self, event_id: str) -> SentMessageRow | None:
        async with self.sessions() as session:
            return await sent_messages.by_ref(session, platform=PLATFORM, message_ref=event_id)


async def typed_hint(
    sessions: async_sessionmaker[AsyncSession], choices: int, recipient: str | None
) -> str:
    """The line under a list longer than the keycaps: the numbers beyond are typed. In the
    recipient's chosen language (Matrix names none: else German, as in team rooms)."""
    if choices <= len(render.KEYCAPS):
        return ""
    locale = None
    if recipient is not None:
        async with sessions() as session:
            profile = await profiles.load_profile(session, platform=PLATFORM, user_id=recipient)
        locale = chosen_locale(profile.locale) if profile is not None else None
    first = len(render.KEYCAPS) + 1
    return t("matrix.choices.typed_beyond", locale, first=first, last=choices)
