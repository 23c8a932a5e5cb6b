"""Encrypted messages the bot cannot read yet are not lost: kept with the sync token, their
keys asked for, stored for the engine once the key comes; after 10 minutes the sender is
asked (in their DM, through the outbox) to send the message again."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from nio import (
    DeviceList,
    DeviceOneTimeKeyCount,
    EncryptionError,
    Event,
    MegolmEvent,
    RoomInfo,
    RoomKeyEvent,
    RoomMessageText,
    Rooms,
    SyncResponse,
    Timeline,
)
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.matrix.rooms import RoomDirectory
from adapters.matrix.sync import SyncLoop
from bot.i18n import t
from bot.kernel.clock import FrozenClock
from storage.models import InboxRow, OutboxRow
from storage.repositories import platform_state

Sessions = async_sessionmaker[AsyncSession]
DM = "!dm:localhost"
ANNA = "@anna:localhost"


def encrypted(event_id: str = "$secret", session_id: str = "SID") -> MegolmEvent:
    event = MegolmEvent.from_dict(
        {
            "type": "m.room.encrypted",
            "event_id": event_id,
            "sender": ANNA,
            "origin_server_ts": 1,
            "content": {
                "algorithm": "m.megolm.v1.aes-sha2",
                "ciphertext": "AwgAEn",
                "sender_key": "SENDERKEY",
                "session_id": session_id,
                "device_id": "ANNADEV",
            },
        }
    )
    assert isinstance(event, MegolmEvent)
    return event


class Client:
    """What the sync loop asks of nio: rooms, decryption with the keys it has, key requests."""

    user_id = "@hotline:localhost"

    def __init__(self) -> None:
        self.rooms: dict[str, object] = {}
        self.keys: set[str] = set()
        self.requested: list[str] = []
        self.attempts = 0

    def decrypt_event(self, event: MegolmEvent) -> Event:
        self.attempts += 1
        if event.session_id not in self.keys:
            raise EncryptionError(f"no session {event.session_id}")
        assert event.room_id == DM
        return RoomMessageText.from_dict(
            {
                "type": "m.room.message",
                "event_id": event.event_id,
                "sender": event.sender,
                "origin_server_ts": 1,
                "content": {"msgtype": "m.text", "body": "/status 7"},
            }
        )

    async def request_room_key(self, event: MegolmEvent) -> object:
        self.requested.append(event.session_id)
        return object()


def sync_response(next_batch: str, *events: Event, key: bool = False) -> SyncResponse:
    join = {DM: RoomInfo(Timeline(list(events), False, "p"), [], [], [])} if events else {}
    keys = [RoomKeyEvent({}, ANNA, "SENDERKEY", DM, "SID", "m.megolm.v1.aes-sha2")]
    return SyncResponse(
        next_batch,
        Rooms({}, join, {}),
        DeviceOneTimeKeyCount(50, 50),
        DeviceList([], []),
        keys if key else [],
        [],
    )


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


async def state(sessions: Sessions, key: str) -> str | None:
    async with sessions() as session:
        return await platform_state.get_value(session, platform="matrix", key=key)


async def inbox_ids(sessions: Sessions) -> list[str]:
    async with sessions() as session:
        return list((await session.scalars(select(InboxRow.event_id))).all())


async def outbox_rows(sessions: Sessions) -> list[OutboxRow]:
    async with sessions() as session:
        return list((await session.scalars(select(OutboxRow))).all())


async def test_a_message_read_once_its_key_arrives_is_handled(
    sessions: Sessions, clock: FrozenClock
) -> None:
    client = Client()
    loop, stored = sync_loop(client, sessions, clock)
    await loop._store(sync_response("s1", encrypted()), process_timeline=True)
    assert stored == [] and await inbox_ids(sessions) == []
    assert await state(sessions, "sync_token") == "s1"
    assert "$secret" in (await state(sessions, "undecrypted") or "")  # kept with the token
    await loop.retry_undecrypted()
    assert client.requested == ["SID"]  # the key is asked for, once
    await loop._store(sync_response("s2"), process_timeline=True)
    await loop.retry_undecrypted()
    assert client.requested == ["SID"] and stored == []
    assert client.attempts == 1  # no keys came with that sync: no attempt (nor nio warning)
    client.keys.add("SID")  # an m.room_key came with a sync
    await loop._store(sync_response("s3", key=True), process_timeline=True)
    await loop.retry_undecrypted()
    assert [payload["inbound"]["text"] for payload in stored] == ["/status 7"]
    assert stored[0]["inbound"]["is_direct"] is True
    assert await inbox_ids(sessions) == ["$secret"]
    assert await state(sessions, "undecrypted") == "[]"
    assert await outbox_rows(sessions) == []


async def test_the_waiting_list_survives_a_restart(sessions: Sessions, clock: FrozenClock) -> None:
    client = Client()
    first, _ = sync_loop(client, sessions, clock)
    await first._store(sync_response("s1", encrypted()), process_timeline=True)
    again, stored = sync_loop(client, sessions, clock)
    again.undecrypted.load(await state(sessions, "undecrypted"))  # as catch_up does
    client.keys.add("SID")
    await again.retry_undecrypted()
    assert [payload["inbound"]["event_id"] for payload in stored] == ["$secret"]


async def test_after_ten_minutes_the_sender_is_asked_to_send_again(
    sessions: Sessions, clock: FrozenClock
) -> None:
    client = Client()
    loop, stored = sync_loop(client, sessions, clock)
    await loop._store(sync_response("s1", encrypted()), process_timeline=True)
    clock.advance(timedelta(minutes=9))
    await loop.retry_undecrypted()
    assert await outbox_rows(sessions) == []
    clock.advance(timedelta(minutes=1))
    await loop.retry_undecrypted()
    rows = await outbox_rows(sessions)
    assert [(r.target_kind, r.target_address) for r in rows] == [("user", ANNA)]
    assert rows[0].payload["text"] == t("error.undecryptable", "de")
    assert await state(sessions, f"dm:{ANNA}") == DM  # answered in the room it came from
    assert await state(sessions, "undecrypted") == "[]" and stored == []
    await loop.retry_undecrypted()  # given up once: not answered twice
    assert len(await outbox_rows(sessions)) == 1
