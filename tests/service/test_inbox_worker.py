"""The Matrix inbox worker: fresh events straight from memory, the table as the safety net,
each event handed over once per process and nothing lost when handling fails."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.matrix import inbox_worker
from adapters.matrix.inbox_worker import InboxWorker
from bot.kernel.clock import FrozenClock
from storage.models import InboxRow
from storage.outage import StoreUnavailable
from storage.repositories import inbox

Sessions = async_sessionmaker[AsyncSession]


def message(event_id: str) -> dict[str, Any]:
    return {"kind": "message", "inbound": {"event_id": event_id}}


async def store(sessions: Sessions, clock: FrozenClock, *event_ids: str) -> list[dict[str, Any]]:
    """As the sync loop does: commit the events to the inbox, then pass them on."""
    payloads = [message(event_id) for event_id in event_ids]
    async with sessions() as session, session.begin():
        for payload in payloads:
            await inbox.put(
                session,
                platform="matrix",
                event_id=payload["inbound"]["event_id"],
                payload=payload,
                at=clock.now(),
            )
    return payloads


async def done(sessions: Sessions) -> dict[str, bool]:
    async with sessions() as session:
        rows = (await session.scalars(select(InboxRow).order_by(InboxRow.id))).all()
        return {row.event_id: row.done for row in rows}


class Engine:
    """Records what it was handed; raises `failing` while it is set."""

    def __init__(self) -> None:
        self.handled: list[str] = []
        self.calls = 0
        self.failing: Exception | None = None

    async def __call__(self, payload: dict[str, Any]) -> None:
        self.calls += 1
        if self.failing is not None:
            raise self.failing
        self.handled.append(payload["inbound"]["event_id"])


async def until(condition: Callable[[], bool], what: str) -> None:
    """Wait (at most 10 s) until `condition` holds."""
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, f"{what} not reached"
        await asyncio.sleep(0.01)


async def test_backlog_first_then_fresh_events_each_once_and_marked_later(
    sessions: Sessions, clock: FrozenClock
) -> None:
    engine = Engine()
    worker = InboxWorker(sessions, "matrix", engine)
    await store(sessions, clock, "$old1", "$old2")  # stored before a restart
    worker.stored(await store(sessions, clock, "$new"))
    await worker.drain()  # the table first; "$new" is in it too, and handed over once
    assert engine.handled == ["$old1", "$old2", "$new"]
    assert await done(sessions) == {"$old1": True, "$old2": True, "$new": True}
    worker.stored(await store(sessions, clock, "$next"))
    await worker.drain()  # fresh, from memory
    assert engine.handled[-1] == "$next"
    assert (await done(sessions))["$next"] is False  # marked a moment later, off the answer's path
    deadline = time.monotonic() + 10
    while not (await done(sessions))["$next"]:
        assert time.monotonic() < deadline, "$next never marked done"
        await asyncio.sleep(0.02)


async def test_a_failure_loses_nothing_and_doubles_nothing(
    sessions: Sessions, clock: FrozenClock, monkeypatch: Any
) -> None:
    monkeypatch.setattr(inbox_worker, "RETRY_SECONDS", 0.05)
    engine = Engine()
    worker = InboxWorker(sessions, "matrix", engine)
    running = asyncio.create_task(worker.run())
    try:
        worker.stored(await store(sessions, clock, "$a"))
        await until(lambda: engine.handled == ["$a"], "$a handled")
        engine.failing = RuntimeError("a broken turn")
        worker.stored(await store(sessions, clock, "$b", "$c"))
        await until(lambda: engine.calls >= 3, "a failed attempt and its retry")
        assert engine.handled == ["$a"]
        engine.failing = None  # the retry reads the table: $b and $c, in order
        await until(lambda: len(engine.handled) == 3, "the retry")
        assert engine.handled == ["$a", "$b", "$c"]
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
    await worker.close()
    assert await done(sessions) == {"$a": True, "$b": True, "$c": True}


async def test_a_database_outage_never_gives_an_event_up(
    sessions: Sessions, clock: FrozenClock, monkeypatch: Any
) -> None:
    """Failures because the database is away are not the event's: however many there are,
    the event is handled once the database is back, and its sender gets no apology."""
    monkeypatch.setattr(inbox_worker, "OUTAGE_RETRY_SECONDS", 0.01)
    given_up: list[str] = []

    async def give_up(_session: AsyncSession, payload: dict[str, Any], _attempts: int) -> None:
        given_up.append(payload["inbound"]["event_id"])

    engine = Engine()
    engine.failing = StoreUnavailable("$kept")
    worker = InboxWorker(sessions, "matrix", engine, give_up)
    running = asyncio.create_task(worker.run())
    try:
        worker.stored(await store(sessions, clock, "$kept"))
        attempts = 3 * inbox_worker.MAX_ATTEMPTS
        await until(lambda: engine.calls >= attempts, f"{attempts} attempts")
        engine.failing = None
        await until(lambda: engine.handled == ["$kept"], "$kept handled")
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
    await worker.close()
    assert given_up == []
    assert await done(sessions) == {"$kept": True}


async def test_a_restart_hands_over_what_was_handled_but_not_marked(
    sessions: Sessions, clock: FrozenClock
) -> None:
    first = Engine()
    worker = InboxWorker(sessions, "matrix", first)
    await worker.drain()  # started: the table is empty
    worker.stored(await store(sessions, clock, "$x"))
    await worker.drain()  # crash now: handled, not marked yet
    assert first.handled == ["$x"]
    again = Engine()
    await InboxWorker(sessions, "matrix", again).drain()
    assert again.handled == ["$x"]  # the engine knows it by its event id and ignores it
