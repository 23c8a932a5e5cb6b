"""One room failing must not make the bot deaf to all: a backfill that fails for now in the
same room FAILED_SYNCS syncs in a row is put off (the rest of the sync is stored, the gap
kept with the token and fetched after a later sync); an invite whose join fails for now is
skipped and joined again after the next sync."""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import Any

import pytest
from nio import (
    DeviceList,
    DeviceOneTimeKeyCount,
    InviteInfo,
    InviteMemberEvent,
    JoinError,
    JoinResponse,
    RoomInfo,
    RoomMessagesError,
    RoomMessagesResponse,
    Rooms,
    SyncResponse,
    Timeline,
)
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.matrix import adapter as adapter_module
from adapters.matrix.adapter import MatrixAdapter
from adapters.matrix.errors import HomeserverError
from adapters.matrix.gaps import FAILED_SYNCS, STATE_KEY, BackfillGaps
from adapters.matrix.settings import MatrixSettings
from bot.config.loader import load_config
from bot.kernel.clock import FrozenClock
from storage.models import InboxRow
from storage.repositories import platform_state
from tests.unit.test_matrix_sync_errors import ANNA, BOT, ROOM, Client, sync_loop, text

Sessions = async_sessionmaker[AsyncSession]
OTHER = "!other:localhost"


def busy() -> RoomMessagesError:
    return RoomMessagesError.from_dict({"errcode": "M_LIMIT_EXCEEDED", "error": "slow"}, ROOM)


def two_rooms(next_batch: str, invite: dict[str, InviteInfo] | None = None) -> SyncResponse:
    """ROOM with a burst too large for the sync (limited), OTHER with one new message."""
    join = {
        ROOM: RoomInfo(Timeline([text("$new")], True, "prev"), [], [], []),
        OTHER: RoomInfo(Timeline([text("$other")], False, "p2"), [], [], []),
    }
    return SyncResponse(
        next_batch,
        Rooms(invite or {}, join, {}),
        DeviceOneTimeKeyCount(50, 50),
        DeviceList([], []),
        [],
        [],
    )


async def stored_ids(sessions: Sessions) -> list[str]:
    async with sessions() as session:
        return list((await session.scalars(select(InboxRow.event_id).order_by(InboxRow.id))).all())


async def stored_value(sessions: Sessions, key: str) -> str | None:
    async with sessions() as session:
        return await platform_state.get_value(session, platform="matrix", key=key)


async def test_a_backfill_failing_in_one_room_is_put_off_after_a_few_syncs(
    sessions: Sessions, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    client = Client(*[busy() for _ in range(FAILED_SYNCS)])
    loop, stored = sync_loop(client, sessions, clock)
    for _ in range(FAILED_SYNCS - 1):  # retried from the same token, as before
        with pytest.raises(HomeserverError):
            await loop._store(two_rooms("s1"), process_timeline=True)
        assert loop.since == "s0" and await stored_ids(sessions) == []
    with caplog.at_level(logging.ERROR, logger="adapters.matrix.sync"):
        await loop._store(two_rooms("s1"), process_timeline=True)
    # the other room's message (and the failing room's newest) are in; the token moved on
    assert await stored_ids(sessions) == ["$new", "$other"] and loop.since == "s1"
    assert await stored_value(sessions, "sync_token") == "s1"
    gaps = await stored_value(sessions, STATE_KEY)
    assert gaps is not None and ROOM in gaps and '"end": "s0"' in gaps  # kept with the token
    assert any(ROOM in record.getMessage() for record in caplog.records)

    client.pages = [busy()]  # still failing after the next sync: kept
    await loop.retry_gaps()
    assert len(loop.gaps) == 1 and await stored_ids(sessions) == ["$new", "$other"]

    client.pages = [RoomMessagesResponse(ROOM, [text("$gap")], "prev", "")]
    await loop.after_sync()  # after a later sync the gap is fetched
    assert await stored_ids(sessions) == ["$new", "$other", "$gap"]
    assert len(loop.gaps) == 0 and await stored_value(sessions, STATE_KEY) == "[]"
    assert [payload["inbound"]["event_id"] for payload in stored][-1] == "$gap"


async def test_a_put_off_gap_survives_a_restart(sessions: Sessions, clock: FrozenClock) -> None:
    client = Client(*[busy() for _ in range(FAILED_SYNCS)])
    loop, _ = sync_loop(client, sessions, clock)
    for _ in range(FAILED_SYNCS):
        with contextlib.suppress(HomeserverError):
            await loop._store(two_rooms("s1"), process_timeline=True)
    again, _ = sync_loop(Client(), sessions, clock)
    again.gaps.load(await stored_value(sessions, STATE_KEY))
    assert [(gap.room_id, gap.start, gap.end) for gap in again.gaps.gaps] == [(ROOM, "prev", "s0")]


class Joining(Client):
    """A homeserver whose join answers are given in advance."""

    def __init__(self, *joins: Any) -> None:
        super().__init__()
        self.joins = list(joins)

    async def join(self, room_id: str) -> Any:
        self.joined.append(room_id)
        return self.joins.pop(0)


def invited_by_anna() -> dict[str, InviteInfo]:
    event = InviteMemberEvent.from_dict(
        {
            "type": "m.room.member",
            "sender": ANNA,
            "state_key": BOT,
            "content": {"membership": "invite", "is_direct": True},
        }
    )
    return {"!invited:localhost": InviteInfo([event])}


async def test_a_join_failing_for_now_does_not_fail_the_sync(
    sessions: Sessions, clock: FrozenClock
) -> None:
    slow = JoinError.from_dict({"errcode": "M_LIMIT_EXCEEDED", "error": "slow"})
    client = Joining(slow, JoinResponse("!invited:localhost"))
    client.pages = [RoomMessagesResponse(ROOM, [], "prev", "")]
    loop, _ = sync_loop(client, sessions, clock)
    await loop._store(two_rooms("s1", invite=invited_by_anna()), process_timeline=True)
    assert await stored_ids(sessions) == ["$new", "$other"] and loop.since == "s1"
    assert list(loop.invites.pending) == ["!invited:localhost"]
    await loop.after_sync()  # joined again after the sync
    assert client.joined == ["!invited:localhost", "!invited:localhost"]
    assert loop.invites.pending == {}
    assert client.puts == ['{"@anna:localhost": ["!invited:localhost"]}']  # a DM, as flagged


async def test_a_join_failing_again_and_again_is_logged_as_an_error(
    sessions: Sessions, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    slow = JoinError.from_dict({"errcode": "M_LIMIT_EXCEEDED", "error": "slow"})
    client = Joining(*[slow] * FAILED_SYNCS)
    loop, _ = sync_loop(client, sessions, clock)
    await loop.invites.accept(two_rooms("s1", invite=invited_by_anna()))
    with caplog.at_level(logging.ERROR, logger="adapters.matrix.invites"):
        for _ in range(FAILED_SYNCS - 1):
            await loop.invites.retry()
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "!invited:localhost" in errors[0]
    assert loop.invites.pending["!invited:localhost"][2] == FAILED_SYNCS


async def test_failures_of_the_catch_up_sync_count_across_start_attempts(
    sessions: Sessions, clock: FrozenClock
) -> None:
    """Each start attempt makes a new sync loop; the adapter hands each the same gaps, so a
    room failing the catch-up sync cannot keep the bot from starting at all."""
    gaps = BackfillGaps()
    for attempt in range(FAILED_SYNCS):
        loop, _ = sync_loop(Client(busy()), sessions, clock)
        loop.gaps = gaps
        if attempt < FAILED_SYNCS - 1:
            with pytest.raises(HomeserverError):
                await loop._store(two_rooms("s1"), process_timeline=True)
        else:
            await loop._store(two_rooms("s1"), process_timeline=True)
    assert await stored_ids(sessions) == ["$new", "$other"] and len(gaps) == 1


async def test_the_adapter_hands_every_start_attempt_the_same_gaps(
    sessions: Sessions, clock: FrozenClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = MatrixSettings("http://127.0.0.1:1", BOT, "t", ("localhost",), tmp_path)
    made = MatrixAdapter(settings, load_config(None), sessions, clock)
    given: list[Any] = []

    def made_loop(*args: Any, **kwargs: Any) -> Any:
        given.append(kwargs["gaps"])
        raise RuntimeError("enough")

    monkeypatch.setattr(adapter_module, "SyncLoop", made_loop)
    for _ in range(2):
        with pytest.raises(RuntimeError):
            await made._catch_up(Client())
    assert given == [made.backfill_gaps, made.backfill_gaps]
    assert given[0] is given[1]
