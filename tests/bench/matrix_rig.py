"""Matrix pieces for the benchmark: a bare matrix-nio echo bot, and a requester (`Probe`)
that times how long a bot takes to answer in a DM.

Both run in the caller's event loop. The probe keeps one long-polling /sync running in the
background, so an answer is seen as soon as Synapse hands it out, for either bot alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path
from typing import Any

import nio

from tests.matrix.bot_fixture import SYNC_FILTER, create_room, send_text
from tests.matrix.synapse import RegisteredUser, nio_client

PLAIN = nio.AsyncClientConfig(
    encryption_enabled=False, store_sync_tokens=False, max_limit_exceeded=0
)


class EchoBot:
    """The bare baseline: joins every invite, answers each m.text with an m.notice
    "echo: <body>" from inside nio's sync callback."""

    def __init__(self, client: nio.AsyncClient) -> None:
        self.client = client
        self._task: asyncio.Task[None] | None = None
        client.add_event_callback(self._on_message, nio.RoomMessageText)
        client.add_event_callback(self._on_invite, nio.InviteMemberEvent)

    @classmethod
    async def create(cls, user: RegisteredUser, store: Path) -> EchoBot:
        """Log in as `user` (no E2E) and start syncing."""
        bot = cls(await nio_client(user, store, config=PLAIN, upload_keys=False))
        await bot.client.sync(timeout=0, sync_filter=SYNC_FILTER)  # skip what came before
        bot._task = asyncio.create_task(
            bot.client.sync_forever(timeout=30_000, sync_filter=SYNC_FILTER), name="echo-bot"
        )
        return bot

    async def _on_invite(self, room: nio.MatrixRoom, event: nio.InviteMemberEvent) -> None:
        if event.state_key == self.client.user_id and event.membership == "invite":
            await self.client.join(room.room_id)

    async def _on_message(self, room: nio.MatrixRoom, event: nio.RoomMessageText) -> None:
        if event.sender == self.client.user_id:
            return
        await self.client.room_send(
            room.room_id, "m.room.message", {"msgtype": "m.notice", "body": f"echo: {event.body}"}
        )

    async def close(self) -> None:
        """Stop syncing and close the connection."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        await self.client.close()


class Probe:
    """A requester with a DM to one bot; `turn` sends and times the bot's answer."""

    def __init__(self, client: nio.AsyncClient, bot_id: str) -> None:
        self.client = client
        self.bot_id = bot_id
        self.room_id = ""
        self.notices: list[tuple[float, str]] = []
        self._seen = 0
        self._arrived = asyncio.Event()
        self._members: set[str] = set()
        self._task: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, user: RegisteredUser, store: Path, bot_id: str) -> Probe:
        """Log in (no E2E), open a plain DM with the bot and wait until it has joined."""
        probe = cls(await nio_client(user, store, config=PLAIN, upload_keys=False), bot_id)
        await probe.client.sync(timeout=0, sync_filter=SYNC_FILTER)
        probe.room_id = await create_room(probe.client, [bot_id], direct=True)
        probe._task = asyncio.create_task(probe._sync_forever(), name=f"probe-{user.user_id}")
        async with asyncio.timeout(30):
            while bot_id not in probe._members:
                probe._arrived.clear()
                await probe._arrived.wait()
        return probe

    async def _sync_forever(self) -> None:
        while True:
            response = await self.client.sync(timeout=30_000, sync_filter=SYNC_FILTER)
            at = time.perf_counter()
            if not isinstance(response, nio.SyncResponse):
                await asyncio.sleep(0.1)
                continue
            joined = response.rooms.join.get(self.room_id)
            if joined is None:
                continue
            for event in joined.timeline.events:
                self._take(at, event)
            self._arrived.set()

    def _take(self, at: float, event: Any) -> None:
        source = event.source
        member = source.get("type") == "m.room.member" and source.get("state_key") == self.bot_id
        if member and source.get("content", {}).get("membership") == "join":
            self._members.add(self.bot_id)
        if isinstance(event, nio.RoomMessageNotice) and event.sender == self.bot_id:
            self.notices.append((at, event.body))

    async def turn(self, text: str, expect: str, timeout: float = 30.0) -> float:  # noqa: ASYNC109
        """Send `text`; return the seconds until the bot's notice containing `expect` arrived."""
        started = time.perf_counter()
        await send_text(self.client, self.room_id, text)
        async with asyncio.timeout(timeout):
            while True:
                for index in range(self._seen, len(self.notices)):
                    at, body = self.notices[index]
                    if expect in body:
                        self._seen = index + 1
                        return at - started
                self._seen = len(self.notices)
                self._arrived.clear()
                await self._arrived.wait()

    async def close(self) -> None:
        """Stop syncing and close the connection."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        await self.client.close()
