"""Which room is whose: team rooms from the config, DMs found or created (m.direct kept)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping

from nio import (
    AsyncClient,
    JoinResponse,
    RoomCreateResponse,
    RoomPreset,
    RoomResolveAliasResponse,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.matrix.parse import PLATFORM
from bot.clock import Clock
from bot.delivery import DeliveryError
from storage.repositories import platform_state

log = logging.getLogger(__name__)
# Each requester's DM is read from the database once a minute at most: every message and
# every answer needs it. Another instance may record a newer DM meanwhile; a send that the
# homeserver refuses in a remembered room is retried with the database's room (adapter.py).
DM_MEMORY_SECONDS = 60.0
ENCRYPTION = {
    "type": "m.room.encryption",
    "state_key": "",
    "content": {"algorithm": "m.megolm.v1.aes-sha2"},
}


class RoomDirectory:
    """Maps team channels to rooms and users to their DM room with the bot."""

    def __init__(
        self,
        client: AsyncClient,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        channels: Mapping[str, str],
        encrypt_direct_rooms: bool,
    ) -> None:
        self.client = client
        self.sessions = sessions
        self.clock = clock
        self.channels = dict(channels)  # configured address (!id or #alias) -> room id
        self.encrypt_direct_rooms = encrypt_direct_rooms
        self._channel_of_room: dict[str, str] = {}
        self._dms: dict[str, tuple[str, float]] = {}  # user id -> (DM room id, when read)

    async def resolve_channels(self) -> None:
        """Resolve aliases to room ids, so team rooms are known as such.

        Runs BEFORE the first sync: the catch-up stores what was written while the bot was
        away, and a team room not yet known as one would count as a DM (a team room with one
        member besides the bot looks exactly like one)."""
        for address in list(self.channels):
            room_id = address
            if address.startswith("#"):
                answer = await self.client.room_resolve_alias(address)
                if not isinstance(answer, RoomResolveAliasResponse):
                    log.warning("cannot resolve team room %s: %s", address, answer)
                    continue
                room_id = answer.room_id
            self.channels[address] = room_id
            self._channel_of_room[room_id] = address

    async def join_channels(self) -> None:
        """Join every resolved team room the bot is not in (it must be invited to private ones)."""
        for room_id in self._channel_of_room:
            if room_id not in self.client.rooms:
                answer = await self.client.join(room_id)
                if not isinstance(answer, JoinResponse):
                    log.warning("cannot join team room %s: %s", room_id, answer)

    def channel_of(self, room_id: str) -> str | None:
        """The configured channel address of a team room, or None for other rooms."""
        return self._channel_of_room.get(room_id)

    def is_direct(self, room_id: str) -> bool:
        """A DM: not a team room, and the bot plus exactly one other member (or flagged direct)."""
        if room_id in self._channel_of_room:
            return False
        room = self.client.rooms.get(room_id)
        if room is None:
            return True
        return bool(room.member_count <= 2 or getattr(room, "is_direct", False))

    def remembered_dm(self, user_id: str) -> str | None:
        """The user's DM room as read or written within the last minute, else None."""
        entry = self._dms.get(user_id)
        if entry is None or time.monotonic() - entry[1] > DM_MEMORY_SECONDS:
            return None
        return entry[0]

    def forget_dm(self, user_id: str) -> None:
        """Read the user's DM from the database next time."""
        self._dms.pop(user_id, None)

    async def remember_direct(self, user_id: str, room_id: str) -> None:
        """The user wrote to us in this DM: answers and status messages go here."""
        if self.remembered_dm(user_id) == room_id:
            return
        async with self.sessions() as session, session.begin():
            known = await platform_state.get_value(session, platform=PLATFORM, key=f"dm:{user_id}")
            if known != room_id:
                await platform_state.set_value(
                    session,
                    platform=PLATFORM,
                    key=f"dm:{user_id}",
                    value=room_id,
                    at=self.clock.now(),
                )
        self._dms[user_id] = (room_id, time.monotonic())

    async def room_for_channel(self, address: str) -> str:
        """The room id of a configured team channel."""
        room_id = self.channels.get(address)
        if room_id is None or room_id.startswith("#"):
            raise DeliveryError(f"team room {address} is not resolved", retry_after=60)
        return room_id

    async def room_for_user(self, user_id: str) -> str:
        """The user's DM room with the bot, created (is_direct, trusted private) if needed."""
        remembered = self.remembered_dm(user_id)
        if remembered is not None:
            return remembered
        async with self.sessions() as session:
            known = await platform_state.get_value(session, platform=PLATFORM, key=f"dm:{user_id}")
        if known is not None:
            self._dms[user_id] = (known, time.monotonic())
            return known
        answer = await self.client.room_create(
            is_direct=True,
            preset=RoomPreset.trusted_private_chat,
            invite=[user_id],
            initial_state=[ENCRYPTION] if self.encrypt_direct_rooms else [],
        )
        if not isinstance(answer, RoomCreateResponse):
            raise DeliveryError(f"cannot create a DM with {user_id}: {answer}")
        await self.remember_direct(user_id, answer.room_id)
        await self._mark_direct(user_id, answer.room_id)
        return str(answer.room_id)

    async def _mark_direct(self, user_id: str, room_id: str) -> None:
        """Record the room in the bot's m.direct account data, as clients expect."""
        path = f"/_matrix/client/v3/user/{self.client.user_id}/account_data/m.direct"
        headers = {"Authorization": f"Bearer {self.client.access_token}"}
        try:
            response = await self.client.send("GET", path, headers=headers)
            current = await response.json() if response.status == 200 else {}
            response.release()
            rooms = list(current.get(user_id, []))
            if room_id not in rooms:
                current[user_id] = [*rooms, room_id]
            response = await self.client.send(
                "PUT", path, data=json.dumps(current), headers=headers
            )
            response.release()
            if response.status != 200:
                log.warning("m.direct update failed: %s", response.status)
        except Exception:  # m.direct is a courtesy for clients; the DM works without it
            log.exception("could not update m.direct for %s", user_id)
