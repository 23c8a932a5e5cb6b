"""Which room is whose: team rooms from the config, DMs found or created (m.direct kept).

A room is a DM when the invite said so (is_direct) or it is in the bot's m.direct account
data (the bot records every DM it opens or accepts there, as clients do), or, for rooms
without that flag, when it has no more than two members. The m.direct map is read once
at start and updated with a read-modify-write: only a 404 reads as "no map yet"; any other
failure leaves the map alone (a PUT of an empty map would erase every DM recorded there).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Iterable, Mapping
from typing import Any

from nio import (
    AsyncClient,
    JoinResponse,
    RoomCreateResponse,
    RoomGetStateEventResponse,
    RoomPreset,
    RoomResolveAliasResponse,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.matrix.errors import HomeserverError, delivery_error, errcode_of
from adapters.matrix.parse import PLATFORM
from bot.delivery import DeliveryError
from bot.kernel.clock import Clock
from storage.repositories import platform_state

log = logging.getLogger(__name__)
# Each requester's DM is read from the database once a minute at most: every message and
# every answer needs it. Another instance may record a newer DM meanwhile; a send that the
# homeserver refuses in a remembered room is retried with the database's room (adapter.py).
DM_MEMORY_SECONDS = 60.0
REOPEN_SECONDS = 3600.0  # at most one new DM per user and hour (see adapter._send_to_user)
JUST_OPENED_SECONDS = 120.0  # a DM opened this long ago may still be unknown to nio
RESOLVE_AGAIN_SECONDS = 60.0  # team room aliases that failed are tried again this often
DIRECT_ATTEMPTS = 3  # reads of m.direct before an update is given up (logged)
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
        self._direct_rooms: set[str] = set()  # flagged direct (invite or m.direct)
        self._opened: dict[str, tuple[str, float]] = {}  # user id -> (DM we opened, when)
        self._wrote_in: set[str] = set()  # DMs a user has written in (since this start)
        self._resolved_at: float | None = None  # time.monotonic() of the last resolve round

    @property
    def unresolved(self) -> list[str]:
        """Configured team rooms whose alias could not be resolved yet."""
        return [address for address, room_id in self.channels.items() if room_id.startswith("#")]

    async def resolve_channels(self) -> None:
        """Resolve aliases to room ids, so team rooms are known as such.

        Runs BEFORE the first sync: the catch-up stores what was written while the bot was
        away, and a team room not yet known as one would count as a DM (a team room with one
        member besides the bot looks exactly like one)."""
        self._resolved_at = time.monotonic()
        for address, known in list(self.channels.items()):
            room_id = known
            if known.startswith("#"):  # an alias not resolved yet
                answer: object
                try:
                    answer = await self.client.room_resolve_alias(address)
                except Exception as error:  # the server away: tried again later
                    answer = error
                if not isinstance(answer, RoomResolveAliasResponse):
                    log.error(
                        "cannot resolve team room %s (%s); trying again in %.0f s",
                        address,
                        answer,
                        RESOLVE_AGAIN_SECONDS,
                    )
                    continue
                room_id = answer.room_id
            self.channels[address] = room_id
            self._channel_of_room[room_id] = address

    async def add_channels(self, addresses: Iterable[str]) -> None:
        """Team rooms a config reload added: resolved and joined now (the ones that fail are
        tried again the way an alias unresolved at start is). Removed rooms are not left:
        someone may still answer a ticket there."""
        new = [address for address in addresses if address not in self.channels]
        if not new:
            return
        self.channels.update((address, address) for address in new)
        await self.resolve_channels()
        await self.join_channels()

    async def resolve_missing(self) -> None:
        """Resolve (and join) team rooms whose alias failed before, at most once a minute."""
        if not self.unresolved:
            return
        if (
            self._resolved_at is not None
            and time.monotonic() - self._resolved_at < RESOLVE_AGAIN_SECONDS
        ):
            return
        await self.resolve_channels()
        await self.join_channels()

    async def join_channels(self) -> None:
        """Join every resolved team room the bot is not in (it must be invited to private ones)."""
        for room_id in self._channel_of_room:
            if room_id not in self.client.rooms:
                await self.join_channel(room_id)

    async def join_channel(self, room_id: str) -> bool:
        """Join a team room (again); False if the homeserver refuses (not invited yet)."""
        answer = await self.client.join(room_id)
        if not isinstance(answer, JoinResponse):
            log.warning("cannot join team room %s: %s", room_id, answer)
            return False
        return True

    def channel_of(self, room_id: str) -> str | None:
        """The configured channel address of a team room, or None for other rooms."""
        return self._channel_of_room.get(room_id)

    def is_direct(self, room_id: str) -> bool:
        """A DM: not a team room, and flagged direct or the bot plus one other member."""
        if room_id in self._channel_of_room:
            return False
        if room_id in self._direct_rooms:
            return True
        room = self.client.rooms.get(room_id)
        return room is None or room.member_count <= 2

    def may_reopen(self, user_id: str) -> bool:
        """Whether a new DM may be opened for the user (none opened in the last hour)."""
        return self.reopen_in(user_id) == 0.0

    def reopen_in(self, user_id: str) -> float:
        """Seconds until a new DM may be opened for the user (0.0: now)."""
        opened = self._opened.get(user_id)
        if opened is None:
            return 0.0
        return max(0.0, REOPEN_SECONDS - (time.monotonic() - opened[1]))

    def just_opened(self, room_id: str) -> bool:
        """Whether this instance opened the room a moment ago (nio may not know it yet)."""
        now = time.monotonic()
        return any(
            room == room_id and now - when < JUST_OPENED_SECONDS
            for room, when in self._opened.values()
        )

    async def user_left(self, room_id: str, user_id: str) -> bool:
        """Whether the user has left the room, declined its invite or was removed.

        A joined member, as nio shows them, has not left. Anything else is asked of the
        homeserver: nio cannot tell a member who left from one whose invite it has not
        seen (a sync can arrive while the homeserver still creates a DM the bot opened),
        and a declined invite may reach the bot's sync only with a later event, so
        "invited" can be stale. No member state at all is not "left"."""
        room = self.client.rooms.get(room_id)
        if room is None or not room.users:
            return False
        if user_id in room.users and user_id not in room.invited_users:
            return False
        return await self.membership(room_id, user_id) in ("leave", "ban")

    async def membership(self, room_id: str, user_id: str) -> str | None:
        """The user's membership in the room as the homeserver has it ("join", "invite",
        "leave", "ban", ...); None when it has none (or the bot may not see the room).
        Any other failure (429, 5xx) raises a DeliveryError: unknown is not "never"."""
        answer = await self.client.room_get_state_event(room_id, "m.room.member", user_id)
        if not isinstance(answer, RoomGetStateEventResponse):
            if errcode_of(answer) in ("M_NOT_FOUND", "M_FORBIDDEN"):
                return None
            raise delivery_error(f"reading the membership of {user_id} in {room_id}", answer)
        membership = answer.content.get("membership")
        return membership if isinstance(membership, str) else None

    async def replaced_dm(self, user_id: str) -> str | None:
        """The DM the bot opened to replace one the user left or that refused the bot, until
        the user writes again (then None): a user who leaves that one too has declined."""
        async with self.sessions() as session:
            value = await platform_state.get_value(
                session, platform=PLATFORM, key=_replaced_key(user_id)
            )
        return value or None  # "" once they wrote again

    async def replace_dm(self, user_id: str) -> str:
        """Open a new DM in place of one the user left or that refused the bot; remembered
        (in the database: any instance, any restart) until the user writes again."""
        room_id = await self.new_dm(user_id)
        await self._set_replaced(user_id, room_id)
        return room_id

    async def _set_replaced(self, user_id: str, room_id: str) -> None:
        async with self.sessions() as session, session.begin():
            await self._put(session, _replaced_key(user_id), room_id)

    async def _put(self, session: AsyncSession, key: str, value: str) -> None:
        """Store a value unless it is stored already (no write for a repeated message)."""
        if await platform_state.get_value(session, platform=PLATFORM, key=key) != value:
            await platform_state.set_value(
                session, platform=PLATFORM, key=key, value=value, at=self.clock.now()
            )

    async def load_direct(self) -> None:
        """Read the bot's m.direct map at start: the rooms flagged as DMs (a failure is
        logged; rooms then count as DMs by their members until the map is read)."""
        try:
            current = await self._read_direct_map()
        except Exception as error:
            log.warning("could not read m.direct (%s); DMs are known by their members", error)
            return
        for rooms in current.values():
            if isinstance(rooms, list):
                self._direct_rooms.update(str(room) for room in rooms)

    async def accepted_direct(self, inviter: str, room_id: str) -> None:
        """The bot joined a room it was invited to with is_direct: a DM of `inviter`."""
        self._direct_rooms.add(room_id)
        await self._mark_direct(inviter, room_id)

    def remembered_dm(self, user_id: str) -> str | None:
        """The user's DM room as read or written within the last minute, else None."""
        entry = self._dms.get(user_id)
        if entry is None or time.monotonic() - entry[1] > DM_MEMORY_SECONDS:
            return None
        return entry[0]

    def forget_dm(self, user_id: str) -> None:
        """Read the user's DM from the database next time."""
        self._dms.pop(user_id, None)

    async def remember_direct(self, user_id: str, room_id: str, *, wrote: bool = True) -> None:
        """The user wrote to us in this DM (or, `wrote` False, the bot opened it): answers
        and status messages go here. A user who writes may be given a new DM again."""
        if self.remembered_dm(user_id) == room_id and (not wrote or room_id in self._wrote_in):
            return
        async with self.sessions() as session, session.begin():
            await self._put(session, platform_state.person_key(platform_state.DM, user_id), room_id)
            replaced = _replaced_key(user_id)
            if wrote and await platform_state.get_value(session, platform=PLATFORM, key=replaced):
                await self._put(session, replaced, "")  # they wrote: they may be invited again
        self._dms[user_id] = (room_id, time.monotonic())
        if wrote:
            self._wrote_in.add(room_id)

    async def room_for_channel(self, address: str) -> str:
        """The room id of a configured team channel."""
        room_id = self.channels.get(address)
        if room_id is not None and room_id.startswith("#"):
            await self.resolve_missing()
            room_id = self.channels.get(address)
        if room_id is None or room_id.startswith("#"):
            raise DeliveryError(f"team room {address} is not resolved", retry_after=60)
        return room_id

    async def room_for_user(self, user_id: str) -> str:
        """The user's DM room with the bot, created (is_direct, trusted private) if needed."""
        return await self.known_dm(user_id) or await self.new_dm(user_id)

    async def known_dm(self, user_id: str) -> str | None:
        """The user's DM room with the bot if one is known (None: never opens one)."""
        remembered = self.remembered_dm(user_id)
        if remembered is not None:
            return remembered
        async with self.sessions() as session:
            key = platform_state.person_key(platform_state.DM, user_id)
            known = await platform_state.get_value(session, platform=PLATFORM, key=key)
        if known is not None:
            self._dms[user_id] = (known, time.monotonic())
        return known

    async def new_dm(self, user_id: str) -> str:
        """Open a new DM with the user (is_direct, trusted private) and remember it; the
        room it replaces (if any) is forgotten."""
        answer = await self.client.room_create(
            is_direct=True,
            preset=RoomPreset.trusted_private_chat,
            invite=[user_id],
            initial_state=[ENCRYPTION] if self.encrypt_direct_rooms else [],
        )
        if not isinstance(answer, RoomCreateResponse):
            raise delivery_error(f"creating a DM with {user_id}", answer)
        room_id = str(answer.room_id)
        self._direct_rooms.add(room_id)
        self._opened[user_id] = (room_id, time.monotonic())
        self.forget_dm(user_id)
        await self.remember_direct(user_id, room_id, wrote=False)
        await self._mark_direct(user_id, room_id)
        return room_id

    def _direct_path(self) -> tuple[str, dict[str, str]]:
        path = f"/_matrix/client/v3/user/{self.client.user_id}/account_data/m.direct"
        return path, {"Authorization": f"Bearer {self.client.access_token}"}

    async def _read_direct_map(self) -> dict[str, Any]:
        """The bot's m.direct map; {} only when there is none yet (404 M_NOT_FOUND).
        Raises HomeserverError for any other answer."""
        path, headers = self._direct_path()
        response = await self.client.send("GET", path, headers=headers)
        try:
            if response.status == 404:
                return {}
            if response.status != 200:
                raise HomeserverError(f"GET m.direct answered {response.status}")
            current = await response.json()
        finally:
            response.release()
        if not isinstance(current, dict):
            raise HomeserverError(f"GET m.direct answered no map: {current!r}")
        return current

    async def _mark_direct(self, user_id: str, room_id: str) -> None:
        """Record the room in the bot's m.direct account data, as clients expect. The map
        is only written after it was read: a failed read is retried, then given up."""
        path, headers = self._direct_path()
        for attempt in range(DIRECT_ATTEMPTS):
            try:
                current = await self._read_direct_map()
                rooms = list(current.get(user_id, []))
                if room_id in rooms:
                    return
                current[user_id] = [*rooms, room_id]
                response = await self.client.send(
                    "PUT", path, data=json.dumps(current), headers=headers
                )
                response.release()
                if response.status == 200:
                    return
                raise HomeserverError(f"PUT m.direct answered {response.status}")
            except Exception as error:  # m.direct is a courtesy for clients; the DM works
                log.warning(
                    "could not update m.direct for %s (attempt %d): %s", user_id, attempt + 1, error
                )
                if attempt + 1 < DIRECT_ATTEMPTS:
                    await asyncio.sleep(2**attempt)


def _replaced_key(user_id: str) -> str:
    """The platform-state key of the DM that replaced one the user left (see replace_dm)."""
    return platform_state.person_key(platform_state.DM_REPLACED, user_id)
