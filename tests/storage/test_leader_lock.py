"""The leader lock: one holder per database (PostgreSQL), the next takes over when the
holder's connection dies; SQLite (one instance) always grants it."""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.leader_lock import LeaderLock


async def _holder_pid(lock: LeaderLock) -> int:
    """The server process of the connection that holds `lock` (other tests on the shared
    server hold advisory locks of their own, so pg_locks alone would not say which)."""
    assert lock._conn is not None
    return int((await lock._conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def _terminate(engine: AsyncEngine, pid: int) -> None:
    """End a server process, as when the holder is killed (the socket closes)."""
    async with engine.connect() as conn:
        await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        await conn.commit()


async def test_one_of_two_contenders_holds_the_lock_and_the_other_takes_over(
    db: AsyncEngine,
) -> None:
    first, second = LeaderLock(db, "test:sync"), LeaderLock(db, "test:sync")
    try:
        assert await first.try_acquire()
        if db.dialect.name != "postgresql":  # one instance only: nothing to elect
            assert await second.try_acquire() and await first.held()
            return
        assert not await second.try_acquire()
        assert not await second.try_acquire(), "still held: the poll must keep failing"
        assert await first.held()
        other = LeaderLock(db, "test:other")  # another name is another lock
        assert await other.try_acquire()
        await other.release()

        await _terminate(db, await _holder_pid(first))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while not await second.try_acquire():  # the server frees it as the session ends
            assert loop.time() < deadline, "the lock was not freed with its connection"
            await asyncio.sleep(0.05)
        assert not await first.held(), "the first holder must notice that it lost the lock"
        assert not await first.try_acquire(), "and cannot take it back while it is held"
        assert await second.held()
    finally:
        await first.release()
        await second.release()


async def test_a_released_lock_goes_to_the_next_contender(db: AsyncEngine) -> None:
    first, second = LeaderLock(db, "test:sync"), LeaderLock(db, "test:sync")
    try:
        assert await first.try_acquire()
        await first.release()  # a graceful stop
        assert not await first.held()
        assert await second.try_acquire()
    finally:
        await first.release()
        await second.release()
