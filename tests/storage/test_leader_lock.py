"""The leader lock: one holder per database (PostgreSQL), the next takes over when the
holder's connection dies; SQLite (one instance) always grants it."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.engine import make_engine
from storage.leader_lock import LeaderLock


async def holder_pid(engine: AsyncEngine, name: str) -> int:
    """The server process holding the lock `name` of the engine's schema (from pg_locks,
    where a bigint key is split into classid and objid)."""
    async with engine.connect() as conn:
        pids = (
            await conn.execute(
                text(
                    "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
                    " AND objsubid = 1 AND database = (SELECT oid FROM pg_database"
                    " WHERE datname = current_database())"
                    " AND ((classid::bigint << 32) | objid::bigint)"
                    " = hashtextextended(:name || '/' || current_schema(), 0)"
                ),
                {"name": name},
            )
        ).scalars()
        found = [int(pid) for pid in pids]
    assert len(found) == 1, found
    return found[0]


async def end_session(engine: AsyncEngine, pid: int) -> None:
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
        assert await second.try_acquire() is False
        assert await second.try_acquire() is False, "still held: the poll must keep failing"
        assert await first.held()
        other = LeaderLock(db, "test:other")  # another name is another lock
        assert await other.try_acquire()
        await other.release()

        await end_session(db, await holder_pid(db, "test:sync"))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while not await second.try_acquire():  # the server frees it as the session ends
            assert loop.time() < deadline, "the lock was not freed with its connection"
            await asyncio.sleep(0.05)
        assert not await first.held(), "the first holder must notice that it lost the lock"
        assert await first.try_acquire() is False, "and cannot take it back while it is held"
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


async def test_a_holder_whose_connection_died_takes_the_lock_again_if_it_is_free(
    db: AsyncEngine,
) -> None:
    """A database restart ends the connection (and the lock): with no other contender the
    holder gets it back at once."""
    lock = LeaderLock(db, "test:sync")
    try:
        assert await lock.try_acquire()
        if db.dialect.name != "postgresql":
            return
        await end_session(db, await holder_pid(db, "test:sync"))
        assert await lock.try_acquire() is True
        assert await lock.held()
    finally:
        await lock.release()


@pytest.mark.parametrize("db", ["postgresql"], indirect=True)  # the lock is PostgreSQL's
async def test_an_unreachable_database_is_neither_yes_nor_no(db: AsyncEngine) -> None:
    nowhere = make_engine("postgresql+asyncpg://postgres@127.0.0.1:1/none")
    lock = LeaderLock(nowhere, "test:sync")
    try:
        assert await lock.try_acquire() is None
        assert not await lock.held()
    finally:
        await lock.release()
        await nowhere.dispose()
