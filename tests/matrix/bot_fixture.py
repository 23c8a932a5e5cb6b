"""The hotline bot run against a real Synapse, and test users who watch their rooms.

- ``hotline_config``: the sample organisation with Matrix switched on (local off), the
  given team rooms as the teams' Matrix channels and the given people mapped to Matrix ids.
- ``HotlineBot``: builds the app on a SQLite file and a data dir, runs ``serve`` in a
  background task, and stops or restarts it (a NEW app on the same database and data dir).
- ``Chat``: a test user's nio client, synced by hand (no callbacks), keeping every timeline
  event per room (decrypted where it can be); ``expect`` waits for a bot notice.
- ``room_history``: a room's whole timeline via /messages, for exact counts.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

import nio
from sqlalchemy import func, select

from adapters.matrix.adapter import MatrixAdapter
from bot.app import App, build_app
from bot.config.loader import load_config
from bot.config.model import OrgConfig, PlatformConfig, SecretRef
from bot.kernel.clock import Clock, ShiftedClock
from bot.runtime import serve
from storage.migrate import upgrade
from storage.models import OutboxRow
from tests.conftest import world_day_start

TOKEN_ENV = "HOTLINE_TEST_MATRIX_TOKEN"
ENCRYPTION_STATE: dict[str, Any] = {
    "type": "m.room.encryption",
    "state_key": "",
    "content": {"algorithm": "m.megolm.v1.aes-sha2"},
}
# Large enough for every burst in these tests; a limited timeline is paginated anyway.
SYNC_FILTER: dict[str, Any] = {
    "room": {"timeline": {"limit": 200}, "state": {"lazy_load_members": False}},
    "presence": {"not_types": ["*"]},
}
TICKET_NUMBER = re.compile(r"Nr\. (\d+)")


def hotline_config(
    *,
    homeserver: str,
    bot_user_id: str,
    team_rooms: Mapping[str, str],
    people: Mapping[str, str],
    allowed_homeservers: tuple[str, ...] = ("localhost",),
    encrypt_direct_rooms: bool = False,
) -> OrgConfig:
    """The sample config, served on Matrix only.

    `team_rooms` maps team ids to room ids (their Matrix channel); other teams lose their
    Matrix channel. `people` maps person ids to Matrix user ids; everybody else loses the
    sample's Matrix id (those live on stadt.example, which this offline server cannot reach).
    """
    base = load_config(None)
    teams = []
    for team in base.teams:
        channels = {k: v for k, v in team.channels.items() if k != "matrix"}
        if team.id in team_rooms:
            channels["matrix"] = team_rooms[team.id]
        members = []
        for person in team.members:
            ids = {k: v for k, v in person.platform_ids.items() if k != "matrix"}
            if person.id in people:
                ids["matrix"] = people[person.id]
            members.append(replace(person, platform_ids=ids))
        teams.append(replace(team, channels=channels, members=tuple(members)))
    platforms = {name: replace(p, enabled=False) for name, p in base.platforms.items()}
    platforms["matrix"] = PlatformConfig(
        name="matrix",
        enabled=True,
        settings={
            "homeserver": homeserver,
            "user_id": bot_user_id,
            "allowed_homeservers": allowed_homeservers,
            "encrypt_direct_rooms": encrypt_direct_rooms,
        },
        secrets={"access_token": SecretRef(env=TOKEN_ENV)},
    )
    return replace(base, teams=tuple(teams), platforms=platforms)


@dataclass
class HotlineBot:
    """The bot as a service: start, stop, restart on the same database and data dir."""

    config: OrgConfig
    data_dir: Path
    startup_timeout: float = 60.0
    # One clock for every start: a restart continues the test's day, never the real date.
    clock: Clock = field(default_factory=lambda: ShiftedClock.starting_at(world_day_start()))
    app: App | None = None
    database_url: str | None = None  # None: a SQLite file in the data dir
    platforms: tuple[str, ...] = ("matrix",)  # ("matrix", "teams"): both in one process
    starts: int = 0
    _stop: asyncio.Event | None = None
    _task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.data_dir / 'hotline.db'}"

    @property
    def adapter(self) -> MatrixAdapter:
        assert self.app is not None, "the bot is not running"
        adapter = self.app.adapters["matrix"]  # on PostgreSQL: the leader-elected one
        return cast(MatrixAdapter, getattr(adapter, "inner", None) or adapter)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> App:
        """Build a new app, migrate, serve in the background; return once the sync runs."""
        assert not self.running, "already running"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        app = build_app(
            config=self.config,
            url=self.url,
            clock=self.clock,
            environ={"HOTLINE_DATA_DIR": str(self.data_dir)},
            platforms=self.platforms,
        )
        await upgrade(app.db)
        self.app = app
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(serve(app, self._stop), name=f"hotline-{self.starts}")
        self.starts += 1
        async with asyncio.timeout(self.startup_timeout):
            # _tasks: catch-up and room resolution are done; the scheduler starts once every
            # other adapter (Teams, when served too) listens. On PostgreSQL the adapter is
            # made when this instance takes the Matrix sync lock.
            while not getattr(self.adapter, "_tasks", None) or app.jobs.scheduler is None:
                if self._task.done():
                    self._task.result()  # raises what serve raised
                    raise AssertionError("serve returned before the adapter started")
                await asyncio.sleep(0.05)
        return app

    async def stop(self) -> None:
        """Set the stop event and wait for serve to close adapters and database."""
        if self._task is None or self._stop is None:
            return
        self._stop.set()
        task, self._task = self._task, None
        async with asyncio.timeout(30):
            await task

    async def restart(self) -> App:
        await self.stop()
        return await self.start()

    async def outbox_rows(self, **where: Any) -> list[OutboxRow]:
        """Outbox rows (filtered by column=value), oldest first."""
        assert self.app is not None
        query = select(OutboxRow).order_by(OutboxRow.id)
        for column, value in where.items():
            query = query.where(getattr(OutboxRow, column) == value)
        async with self.app.sessions() as session:
            return list((await session.scalars(query)).all())

    async def pending_outbox(self, platform: str = "matrix") -> int:
        """Rows for `platform` not delivered yet (other platforms are not served here); a
        row folded into a bundle is delivered with the bundle's message."""
        assert self.app is not None
        async with self.app.sessions() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(OutboxRow)
                .where(
                    OutboxRow.status.not_in(("delivered", "bundled")),
                    OutboxRow.platform == platform,
                )
            )
        return int(count or 0)


def is_notice_from(event: nio.Event, sender: str) -> bool:
    return isinstance(event, nio.RoomMessageNotice) and event.sender == sender


def is_edit(event: nio.Event) -> bool:
    relates = event.source.get("content", {}).get("m.relates_to") or {}
    return relates.get("rel_type") == "m.replace"


def content(event: nio.Event) -> dict[str, Any]:
    return cast(dict[str, Any], event.source.get("content", {}))


def ticket_number(text: str) -> int:
    found = TICKET_NUMBER.search(text)
    assert found, f"no ticket number in {text!r}"
    return int(found.group(1))


@dataclass
class Chat:
    """A test user: a nio client synced by hand, remembering every event of its rooms."""

    client: nio.AsyncClient
    bot_id: str
    timeline: dict[str, list[nio.Event]] = field(default_factory=lambda: defaultdict(list))
    _cursor: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def user_id(self) -> str:
        return str(self.client.user_id)

    async def sync(self, timeout_ms: int = 1000) -> nio.SyncResponse:
        since = self.client.next_batch
        response = await self.client.sync(timeout=timeout_ms, sync_filter=SYNC_FILTER)
        assert isinstance(response, nio.SyncResponse), f"{self.user_id}: sync failed: {response}"
        for room_id, joined in response.rooms.join.items():
            events = list(joined.timeline.events)
            if joined.timeline.limited and since:
                events = await self._older(room_id, joined.timeline.prev_batch, since) + events
            self.timeline[room_id].extend(events)
        self._decrypt_pending()
        return response

    async def sync_until(self, done: Callable[[], bool], within: float = 20.0) -> None:
        async with asyncio.timeout(within):
            while not done():
                await self.sync()

    async def _older(self, room_id: str, start: str, since: str) -> list[nio.Event]:
        older: list[nio.Event] = []
        token = start
        for _ in range(50):
            answer = await self.client.room_messages(
                room_id, start=token, end=since, direction=nio.MessageDirection.back, limit=100
            )
            assert isinstance(answer, nio.RoomMessagesResponse), answer
            older += answer.chunk
            if not answer.chunk or not answer.end or answer.end == token:
                break
            token = answer.end
        older.reverse()
        return older

    def _decrypt_pending(self) -> None:
        """Room keys may arrive after the event: try again what is still encrypted."""
        for events in self.timeline.values():
            for index, event in enumerate(events):
                if isinstance(event, nio.MegolmEvent):
                    with contextlib.suppress(nio.EncryptionError):
                        events[index] = self.client.decrypt_event(event)

    def notices(self, room_id: str, sender: str | None = None) -> list[nio.RoomMessageNotice]:
        """The m.notice events of `sender` (default: the bot) seen in the room so far."""
        who = sender or self.bot_id
        return [e for e in self.timeline[room_id] if is_notice_from(e, who)]

    def find(
        self, room_id: str, contains: str, sender: str, *, edits: bool | None
    ) -> nio.RoomMessageNotice | None:
        events = self.timeline[room_id]
        for index in range(self._cursor[room_id], len(events)):
            event = events[index]
            if not is_notice_from(event, sender):
                continue
            if edits is not None and is_edit(event) != edits:
                continue
            if contains in event.body or contains in content(event).get("formatted_body", ""):
                self._cursor[room_id] = index + 1
                return cast(nio.RoomMessageNotice, event)
        return None

    async def expect(
        self,
        room_id: str,
        contains: str,
        *,
        within: float = 20.0,
        sender: str | None = None,
        edits: bool | None = False,
    ) -> nio.RoomMessageNotice:
        """Sync until an m.notice of `sender` (the bot) containing `contains` arrives in the
        room, after the last one `expect` returned there; return it. Edits only with
        edits=True (None: either)."""
        who = sender or self.bot_id
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            found = self.find(room_id, contains, who, edits=edits)
            if found is not None:
                return found
            remaining = deadline - loop.time()
            if remaining <= 0:
                seen = [e.body for e in self.notices(room_id, who)[-8:]]
                encrypted = sum(isinstance(e, nio.MegolmEvent) for e in self.timeline[room_id])
                raise AssertionError(
                    f"{self.user_id}: no notice with {contains!r} from {who} in {room_id} "
                    f"within {within:.0f} s; last notices: {seen}; undecrypted: {encrypted}"
                )
            await self.sync(timeout_ms=int(min(1.0, remaining) * 1000))

    async def say(self, room_id: str, body: str) -> str:
        """Send an m.text; return its event id."""
        return await send_text(self.client, room_id, body)


async def expect(
    chat: Chat, room_id: str, contains: str, within: float = 20.0
) -> nio.RoomMessageNotice:
    """Wait for the bot's m.notice containing `contains` in the room (see Chat.expect)."""
    return await chat.expect(room_id, contains, within=within)


async def send_text(client: nio.AsyncClient, room_id: str, body: str) -> str:
    if client.should_query_keys:
        await client.keys_query()
    sent = await client.room_send(
        room_id,
        "m.room.message",
        {"msgtype": "m.text", "body": body},
        ignore_unverified_devices=True,
    )
    assert isinstance(sent, nio.RoomSendResponse), f"send failed: {sent}"
    return str(sent.event_id)


async def react(client: nio.AsyncClient, room_id: str, event_id: str, key: str) -> str:
    sent = await client.room_send(
        room_id,
        "m.reaction",
        {"m.relates_to": {"rel_type": "m.annotation", "event_id": event_id, "key": key}},
    )
    assert isinstance(sent, nio.RoomSendResponse), f"reaction failed: {sent}"
    return str(sent.event_id)


async def react_encrypted(client: nio.AsyncClient, room_id: str, event_id: str, key: str) -> str:
    """An m.reaction sent encrypted, as Element does in encrypted rooms (nio's room_send
    sends reactions in clear); m.relates_to stays readable outside the ciphertext."""
    if client.should_query_keys:
        await client.keys_query()
    if client.olm is not None and client.olm.should_share_group_session(room_id):
        await client.share_group_session(room_id, ignore_unverified_devices=True)
    relation = {"m.relates_to": {"rel_type": "m.annotation", "event_id": event_id, "key": key}}
    event_type, encrypted = client.encrypt(room_id, "m.reaction", relation)
    assert event_type == "m.room.encrypted"
    method, path, data = nio.Api.room_send(
        client.access_token, room_id, event_type, encrypted, str(uuid.uuid4())
    )
    sent = await client._send(nio.RoomSendResponse, method, path, data, (room_id,))
    assert isinstance(sent, nio.RoomSendResponse), f"encrypted reaction failed: {sent}"
    return str(sent.event_id)


async def create_room(
    client: nio.AsyncClient,
    invite: Iterable[str],
    *,
    direct: bool = False,
    encrypted: bool = False,
    name: str | None = None,
    alias: str | None = None,
) -> str:
    """Create a room (a trusted private DM with `direct`), inviting `invite`; with `alias`
    (the localpart), also publish #alias:server for it. Return the room id."""
    created = await client.room_create(
        alias=alias,
        name=name,
        is_direct=direct,
        preset=nio.RoomPreset.trusted_private_chat if direct else nio.RoomPreset.private_chat,
        invite=list(invite),
        initial_state=[ENCRYPTION_STATE] if encrypted else [],
    )
    assert isinstance(created, nio.RoomCreateResponse), f"room_create failed: {created}"
    return str(created.room_id)


async def wait_for_join(chat: Chat, room_id: str, user_id: str, within: float = 20.0) -> None:
    """Sync until `user_id` is a joined member of the room (as `chat` sees it)."""

    def joined() -> bool:
        room = chat.client.rooms.get(room_id)
        return room is not None and user_id in room.users and user_id not in room.invited_users

    await chat.sync_until(joined, within)


async def room_history(client: nio.AsyncClient, room_id: str) -> list[nio.Event]:
    """The room's whole timeline, oldest first, via /messages (decrypted where possible)."""
    synced = await client.sync(timeout=0, sync_filter=SYNC_FILTER)
    assert isinstance(synced, nio.SyncResponse), synced
    events: list[nio.Event] = []
    token = str(synced.next_batch)
    for _ in range(100):
        answer = await client.room_messages(
            room_id, start=token, direction=nio.MessageDirection.back, limit=100
        )
        assert isinstance(answer, nio.RoomMessagesResponse), answer
        for event in answer.chunk:
            if isinstance(event, nio.MegolmEvent):
                with contextlib.suppress(nio.EncryptionError):
                    event = client.decrypt_event(event)
            events.append(event)
        if not answer.chunk or not answer.end or answer.end == token:
            break
        token = answer.end
    events.reverse()
    return events


async def eventually(
    check: Callable[[], Awaitable[bool]], *, within: float, interval: float = 0.5, what: str = ""
) -> None:
    """Poll `check` until it holds; fail with `what` after `within` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await check():
        if loop.time() > deadline:
            raise AssertionError(f"not within {within:.0f} s: {what}")
        await asyncio.sleep(interval)
