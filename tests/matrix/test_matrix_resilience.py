"""The Matrix bot when things go wrong, end to end against Synapse: bursts while stopped,
foreign invites, a flaky database, deliveries cut off by a crash or a stop."""

from __future__ import annotations

import asyncio
from typing import Any

import nio
import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from storage.models import InboundEventRow, InboxRow, OutboxRow
from storage.repositories import inbox as inbox_repository
from tests.matrix.bot_fixture import eventually, is_notice_from, room_history
from tests.matrix.conftest import WorldFactory
from tests.matrix.synapse import SynapseServer
from tests.matrix.world import World, wait_for_outbox


async def test_a_burst_of_60_while_stopped_is_answered_in_order(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """60 messages exceed the sync filter's timeline limit (50): the catch-up sync is
    `limited` and the adapter must page back to its last token."""
    requester, dm = await world.requester("schule")
    await requester.say(dm, "Hallo")
    await requester.expect(dm, "Zu welcher Kundengruppe gehören Sie?")
    await wait_for_outbox(world.bot, within=30)
    await world.bot.stop()
    numbers = list(range(101, 161))
    sent = [await requester.say(dm, f"/status {n}") for n in numbers]
    limited = _watch_limited_syncs(monkeypatch, world.bot_id, dm)
    await world.bot.start()
    assert limited, "the bot's catch-up sync was not limited: pagination went untested"
    for n in numbers:
        await requester.expect(dm, f"Nr. {n} kann ich Ihnen nicht zeigen", within=60)
    await wait_for_outbox(world.bot, within=30)
    assert world.bot.app is not None
    async with world.bot.app.sessions() as session:
        seen = set((await session.scalars(select(InboundEventRow.event_id))).all())
    assert set(sent) <= seen
    history = await room_history(requester.client, dm)
    hidden = "kann ich Ihnen nicht zeigen"
    answers = [e.body for e in history if is_notice_from(e, world.bot_id) and hidden in e.body]
    assert [answer.split(":")[0] for answer in answers] == [
        f"Nr. {n} kann ich Ihnen nicht zeigen" for n in numbers
    ]


def _watch_limited_syncs(monkeypatch: pytest.MonkeyPatch, user_id: str, room_id: str) -> list[int]:
    """Record, for every sync of `user_id`'s clients that comes back `limited` in `room_id`,
    how many timeline events it held (the rest must be paginated)."""
    limited: list[int] = []
    original = nio.AsyncClient.sync

    async def sync(self: nio.AsyncClient, *args: Any, **kwargs: Any) -> Any:
        response = await original(self, *args, **kwargs)
        room = getattr(response, "rooms", None)
        joined = room.join.get(room_id) if room is not None else None
        if self.user_id == user_id and joined is not None and joined.timeline.limited:
            limited.append(len(joined.timeline.events))
        return response

    monkeypatch.setattr(nio.AsyncClient, "sync", sync)
    return limited


async def test_an_invite_from_a_foreign_homeserver_is_declined(
    synapse: SynapseServer, worlds: WorldFactory
) -> None:
    world = await worlds(synapse, teams=(), allowed_homeservers=("stadt.example",))
    outsider, dm = await world.requester("outsider")  # on "localhost": not allowed

    async def bot_left() -> bool:
        state = await outsider.client.room_get_state_event(dm, "m.room.member", world.bot_id)
        return isinstance(state, nio.RoomGetStateEventResponse) and (
            state.content.get("membership") == "leave"
        )

    await eventually(bot_left, within=20, what="the bot declines the invite")
    assert world.bot.app is not None
    async with world.bot.app.sessions() as session:
        assert (await session.scalars(select(InboxRow))).all() == []


async def test_transient_failures_do_not_make_the_bot_deaf(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure while storing a sync (here: the database) or while handing a stored event
    to the engine is retried; neither the sync loop nor the inbox worker may die of it."""
    requester, dm = await world.requester("schule", wait=True)
    original_put = inbox_repository.put
    failures = {"put": 0, "remember": 0}

    async def flaky_put(*args: Any, **kwargs: Any) -> None:
        if failures["put"] == 0:
            failures["put"] += 1
            raise OperationalError("INSERT INTO inbox", {}, Exception("database is locked"))
        await original_put(*args, **kwargs)

    monkeypatch.setattr(inbox_repository, "put", flaky_put)
    await requester.say(dm, "Hallo")
    await requester.expect(dm, "Zu welcher Kundengruppe gehören Sie?", within=30)
    assert failures["put"] == 1

    rooms = world.bot.adapter.rooms
    assert rooms is not None
    original_remember = rooms.remember_direct

    async def flaky_remember(user_id: str, room_id: str) -> None:
        if failures["remember"] == 0:
            failures["remember"] += 1
            raise OperationalError("UPDATE platform_state", {}, Exception("disk I/O error"))
        await original_remember(user_id, room_id)

    monkeypatch.setattr(rooms, "remember_direct", flaky_remember)
    await requester.say(dm, "1")
    await requester.expect(dm, "Worum geht es?", within=30)
    assert failures["remember"] == 1


async def test_a_delivery_interrupted_by_a_crash_is_completed_exactly_once(world: World) -> None:
    """Killed between sending and recording it: after the restart those rows are sent again
    (here at once: as if their lease had run out); the transaction ids make the homeserver
    return the events it already has instead of posting twice, reactions included."""
    users = [await world.requester(f"user{n}", wait=True) for n in range(3)]
    for chat, dm in users:
        await chat.say(dm, "Hallo")
    for chat, dm in users:
        await chat.expect(dm, "Zu welcher Kundengruppe gehören Sie?")
    await wait_for_outbox(world.bot, within=30)
    await world.bot.stop()
    app = await world.bot.start()
    async with app.sessions() as session, session.begin():
        undone = await session.execute(
            update(OutboxRow)
            .where(OutboxRow.target_kind == "user")
            .values(status="pending", lease_until=None, delivered_at=None)
        )
    assert undone.rowcount == 9  # type: ignore[attr-defined]  # welcome, greeting, question
    app.engine.on_outbox()
    await wait_for_outbox(world.bot, within=30)
    for chat, dm in users:
        rows = await world.bot.outbox_rows(target_kind="user", target_address=chat.user_id)
        history = await room_history(chat.client, dm)
        notices = [e for e in history if is_notice_from(e, world.bot_id)]
        assert sorted(e.event_id for e in notices) == sorted(str(r.message_ref) for r in rows)
        assert len(notices) == 3  # welcome, greeting and question, each once
        reactions = [e for e in history if isinstance(e, nio.ReactionEvent)]
        keys = [e.key for e in reactions if e.sender == world.bot_id]
        assert len(keys) == len(set(keys)) == 8  # 1️⃣ .. 8️⃣ on the question, none twice


async def test_stop_during_delivery_delays_nothing_after_restart(world: World) -> None:
    """A graceful stop while notices are going out hands the rest back at once: the next
    start delivers them within seconds (not after a lease), each exactly once."""
    users = [await world.requester(f"user{n}", wait=True) for n in range(3)]
    for chat, dm in users:
        await chat.say(dm, "Hallo")
    first, first_dm = users[0]
    await first.expect(first_dm, "Guten Tag")  # the first notice is out, the rest on its way
    await world.bot.stop()
    undelivered = [r for r in await _outbox(world) if r.status != "delivered"]
    await world.bot.start()
    await wait_for_outbox(world.bot, within=10)
    for chat, dm in users:
        await chat.expect(dm, "Zu welcher Kundengruppe gehören Sie?", within=10)
    await asyncio.sleep(1.0)  # anything sent twice would arrive by now
    for chat, dm in users:
        rows = await world.bot.outbox_rows(target_kind="user", target_address=chat.user_id)
        assert [r.status for r in rows] == ["delivered"] * 3  # welcome, greeting, question
        history = await room_history(chat.client, dm)
        notices = [e for e in history if is_notice_from(e, world.bot_id)]
        assert sorted(e.event_id for e in notices) == sorted(str(r.message_ref) for r in rows)
        asked = ["Kundengruppe" in n.body for n in notices]
        assert asked == [False, False, True]  # welcome, greeting, then the question, once
    assert undelivered, "the stop came after every delivery: the test proved nothing"


async def _outbox(world: World) -> list[OutboxRow]:
    """The outbox read from the database file while the bot is stopped."""
    engine = create_async_engine(world.bot.url)
    try:
        async with AsyncSession(engine) as session:
            return list((await session.scalars(select(OutboxRow))).all())
    finally:
        await engine.dispose()
