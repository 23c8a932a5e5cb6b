"""The sync loop when the homeserver answers errors: a refused backfill page fails the whole
sync (nothing stored, the token stays), 429s are waited out as long as asked, and invites
flagged is_direct make DMs."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
import pytest
from nio import (
    DeviceList,
    DeviceOneTimeKeyCount,
    InviteInfo,
    InviteMemberEvent,
    JoinResponse,
    RoomInfo,
    RoomMessagesError,
    RoomMessagesResponse,
    RoomMessageText,
    Rooms,
    SyncError,
    SyncResponse,
    Timeline,
)
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.matrix.errors import HomeserverError
from adapters.matrix.rooms import RoomDirectory
from adapters.matrix.sync import BACKFILL_PAGES, SyncLoop
from bot.kernel.clock import FrozenClock
from storage.models import InboxRow
from storage.repositories import platform_state

Sessions = async_sessionmaker[AsyncSession]
ROOM = "!room:localhost"
ANNA = "@anna:localhost"
BOT = "@hotline:localhost"


def text(event_id: str) -> RoomMessageText:
    return RoomMessageText.from_dict(
        {
            "type": "m.room.message",
            "event_id": event_id,
            "sender": ANNA,
            "origin_server_ts": 1,
            "content": {"msgtype": "m.text", "body": "Hallo"},
        }
    )


def response(
    next_batch: str, *, limited: bool = False, invite: dict[str, InviteInfo] | None = None
) -> SyncResponse:
    join = {ROOM: RoomInfo(Timeline([text("$new")], limited, "prev"), [], [], [])}
    return SyncResponse(
        next_batch,
        Rooms(invite or {}, join, {}),
        DeviceOneTimeKeyCount(50, 50),
        DeviceList([], []),
        [],
        [],
    )


class Answer:
    def __init__(self, status: int, body: Any = None) -> None:
        self.status, self.body = status, body

    async def json(self) -> Any:
        return self.body

    def release(self) -> None:
        pass


class Room:
    def __init__(self, members: int) -> None:
        self.member_count = members


class Client:
    user_id = BOT
    access_token = "t"

    def __init__(self, *pages: Any) -> None:
        self.pages = list(pages)
        self.rooms: dict[str, Any] = {}
        self.syncs: list[Any] = []
        self.joined: list[str] = []
        self.puts: list[str] = []
        self.paged = 0

    async def room_messages(self, room_id: str, **_: Any) -> Any:
        self.paged += 1
        return self.pages.pop(0) if self.pages else self.endless()

    def endless(self) -> RoomMessagesResponse:
        n = self.paged
        return RoomMessagesResponse(ROOM, [text(f"$old{n}")], f"t{n}", f"t{n + 1}")

    async def sync(self, **_: Any) -> Any:
        return self.syncs.pop(0)

    async def join(self, room_id: str) -> JoinResponse:
        self.joined.append(room_id)
        return JoinResponse(room_id)

    async def send(self, method: str, path: str, **kwargs: Any) -> Answer:
        if method == "GET":
            return Answer(404)
        self.puts.append(kwargs["data"])
        return Answer(200)


def sync_loop(client: Client, sessions: Sessions, clock: FrozenClock) -> tuple[SyncLoop, list[Any]]:
    rooms = RoomDirectory(client, sessions, clock, channels={}, encrypt_direct_rooms=False)
    stored: list[Any] = []
    loop = SyncLoop(
        client,
        rooms,
        sessions,
        clock,
        allowed_homeservers=("localhost",),
        bot_names=("Hotline",),
        on_stored=stored.extend,
    )
    loop.since = "s0"
    return loop, stored


async def test_a_refused_backfill_page_fails_the_sync_and_keeps_the_token(
    sessions: Sessions, clock: FrozenClock
) -> None:
    refused = RoomMessagesError.from_dict(
        {"errcode": "M_LIMIT_EXCEEDED", "error": "slow down", "retry_after_ms": 3000}, ROOM
    )
    loop, stored = sync_loop(Client(refused), sessions, clock)
    with pytest.raises(HomeserverError) as failed:
        await loop._store(response("s1", limited=True), process_timeline=True)
    assert failed.value.retry_after == 3.0
    assert stored == [] and loop.since == "s0"
    async with sessions() as session:
        assert await platform_state.get_value(session, platform="matrix", key="sync_token") is None
        assert (await session.scalars(select(InboxRow))).all() == []


async def test_a_backfill_refused_for_good_is_logged_and_the_sync_goes_on(
    sessions: Sessions, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    refused = RoomMessagesError.from_dict({"errcode": "M_FORBIDDEN", "error": "no"}, ROOM)
    loop, stored = sync_loop(Client(refused), sessions, clock)
    with caplog.at_level(logging.ERROR, logger="adapters.matrix.sync"):
        await loop._store(response("s1", limited=True), process_timeline=True)
    assert [p["inbound"]["event_id"] for p in stored] == ["$new"] and loop.since == "s1"
    assert any("NOT handled" in record.getMessage() for record in caplog.records)


async def test_hitting_the_page_cap_is_logged_as_an_error(
    sessions: Sessions, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    client = Client()
    loop, stored = sync_loop(client, sessions, clock)
    with caplog.at_level(logging.ERROR, logger="adapters.matrix.sync"):
        await loop._store(response("s1", limited=True), process_timeline=True)
    assert client.paged == BACKFILL_PAGES
    assert any("NOT handled" in record.getMessage() for record in caplog.records)
    assert len(stored) == BACKFILL_PAGES + 1


async def test_a_429_on_sync_is_waited_out_as_asked(
    sessions: Sessions, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = Client()
    client.syncs = [
        SyncError.from_dict(
            {"errcode": "M_LIMIT_EXCEEDED", "error": "slow down", "retry_after_ms": 7000}
        )
    ]
    loop, _ = sync_loop(client, sessions, clock)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        raise asyncio.CancelledError  # one round is enough

    monkeypatch.setattr(asyncio, "sleep", sleep)
    with pytest.raises(asyncio.CancelledError):
        await loop.run()
    monkeypatch.undo()
    assert waits == [7.0]


async def test_an_invite_flagged_direct_makes_a_dm_whatever_its_size(
    sessions: Sessions, clock: FrozenClock
) -> None:
    client = Client()
    loop, _ = sync_loop(client, sessions, clock)

    def invited(direct: bool) -> InviteMemberEvent:
        return InviteMemberEvent.from_dict(
            {
                "type": "m.room.member",
                "sender": ANNA,
                "state_key": BOT,
                "content": {"membership": "invite", "is_direct": direct},
            }
        )

    group = "!group:localhost"
    invite = {
        "!direct:localhost": InviteInfo([invited(True)]),
        group: InviteInfo([invited(False)]),
    }
    await loop._store(response("s1", invite=invite), process_timeline=False)
    assert client.joined == ["!direct:localhost", group]
    client.rooms = {"!direct:localhost": Room(3), group: Room(3)}  # a colleague came along
    assert loop.rooms.is_direct("!direct:localhost") and not loop.rooms.is_direct(group)
    assert client.puts == ['{"@anna:localhost": ["!direct:localhost"]}']  # m.direct


async def test_after_an_outage_the_sync_resumes_within_seconds_and_logs_little(
    sessions: Sessions,
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Twenty refused connections (about a minute away), then the server is back: the waits
    grow 1, 2, 4 s and stay at 4, so the next sync comes at most 4 s after the return; one
    WARNING at the start, one a minute later, one when it works again."""
    client = Client()
    client.syncs = [aiohttp.ClientConnectionError("refused") for _ in range(20)]
    client.syncs.append(response("s1"))
    loop, stored = sync_loop(client, sessions, clock)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        if seconds == 0:  # a yield to the inbox worker after storing, not a wait
            return
        waits.append(seconds)
        if len(waits) > 20:  # the round after the good sync: enough
            raise asyncio.CancelledError

    monkeypatch.setattr(asyncio, "sleep", sleep)
    caplog.set_level(logging.DEBUG, logger="adapters.matrix.sync")
    with pytest.raises(asyncio.CancelledError):
        await loop.run()
    monkeypatch.undo()
    assert waits[:20] == [1.0, 2.0] + [4.0] * 18
    assert loop.since == "s1" and [p["inbound"]["event_id"] for p in stored] == ["$new"]
    assert waits[20] == 1.0  # after a good sync, a new failure starts over at 1 s
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert [w.split(" (")[0] for w in warnings if w.startswith("sync failed")] == [
        "sync failed",
        "sync failed",
    ]
    assert "sync works again after 20 failed attempts" in warnings
