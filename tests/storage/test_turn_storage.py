"""What a turn relies on from storage, beyond the contract: SQLite's in-process writer queue
(also after a turn cancelled mid-statement), dialog states remembered within a transaction,
and the Teams references' upsert."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.teams.references import ReferenceStore
from bot.domain.errors import ConcurrentUpdate
from bot.kernel.clock import FrozenClock
from storage.engine import make_engine, make_sessionmaker
from storage.migrate import upgrade
from storage.models import InboundEventRow, PlatformStateRow
from storage.repositories import inbound
from storage.repositories.dialog_states import (
    ConversationKey,
    clear_dialog,
    load_dialog,
    save_dialog,
)

Sessions = async_sessionmaker[AsyncSession]
KEY = ConversationKey("teams", "a:chat", "29:anna")


async def test_sqlite_writers_queue_in_process_and_a_failed_one_frees_the_queue(
    tmp_path: Path, clock: FrozenClock
) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'hotline.db'}")
    await upgrade(engine)
    sessions = make_sessionmaker(engine)

    async def write(n: int) -> None:
        async with sessions() as session, session.begin():
            await inbound.remember_event(
                session, platform="teams", event_id=f"e{n}", received_at=clock.now()
            )
            await asyncio.sleep(0.005)  # hold the write lock across an await
            if n % 5 == 0:
                raise RuntimeError("this turn fails and rolls back")

    results = await asyncio.gather(*(write(n) for n in range(30)), return_exceptions=True)
    assert sum(isinstance(result, RuntimeError) for result in results) == 6
    assert all(result is None or isinstance(result, RuntimeError) for result in results)
    async with sessions() as session:
        count = await session.scalar(select(func.count()).select_from(InboundEventRow))
    assert count == 24
    await engine.dispose()


async def test_a_turn_cancelled_mid_statement_ends_with_its_own_error(tmp_path: Path) -> None:
    """A stop cancels a turn inside a statement and SQLAlchemy invalidates the connection:
    the rollback must not raise an error of its own (it replaced the cancellation, and the
    engine then answered the message with an apology instead of keeping it for the next
    start), and the next writer must still get its turn."""
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'hotline.db'}")
    await upgrade(engine)
    try:
        async with engine.connect() as conn:
            await conn.begin()
            await conn.execute(select(func.count()).select_from(InboundEventRow))
            await conn.invalidate()
            await conn.rollback()
        async with asyncio.timeout(5), engine.begin() as conn:
            await conn.execute(select(func.count()).select_from(InboundEventRow))
    finally:
        await engine.dispose()


async def test_a_dialog_state_is_read_once_per_transaction_and_follows_its_writes(
    sessions: Sessions, clock: FrozenClock
) -> None:
    async with sessions() as session, session.begin():
        assert await load_dialog(session, key=KEY) is None
        version = await save_dialog(
            session, key=KEY, seen_version=None, dialog="intake", state={"a": 1}, at=clock.now()
        )
        stored = await load_dialog(session, key=KEY)
        assert stored is not None and (stored.version, stored.state) == (version, {"a": 1})
        stored.state["a"] = 99  # a caller's change to its copy is not remembered
        again = await load_dialog(session, key=KEY)
        assert again is not None and again.state == {"a": 1}
        savepoint = await session.begin_nested()
        await save_dialog(
            session, key=KEY, seen_version=version, dialog="intake", state={"a": 2}, at=clock.now()
        )
        inner = await load_dialog(session, key=KEY)
        assert inner is not None and inner.state == {"a": 2}
        await savepoint.rollback()
        after = await load_dialog(session, key=KEY)
        assert after is not None and (after.version, after.state["a"]) == (version, 1)
        await clear_dialog(session, key=KEY)
        assert await load_dialog(session, key=KEY) is None
        with pytest.raises(ConcurrentUpdate):
            await save_dialog(
                session, key=KEY, seen_version=version, dialog="x", state={}, at=clock.now()
            )


async def test_a_dialog_state_saved_by_another_turn_is_seen_by_the_next_transaction(
    sessions: Sessions, clock: FrozenClock
) -> None:
    async with sessions() as session:
        async with session.begin():
            assert await load_dialog(session, key=KEY) is None
        async with sessions() as other, other.begin():
            await save_dialog(
                other, key=KEY, seen_version=None, dialog="intake", state={}, at=clock.now()
            )
        async with session.begin():
            stored = await load_dialog(session, key=KEY)
        assert stored is not None and stored.version == 1


async def test_two_instances_store_the_same_new_reference_at_once(
    sessions: Sessions, clock: FrozenClock
) -> None:
    first, second = ReferenceStore(sessions, clock), ReferenceStore(sessions, clock)
    await asyncio.gather(
        first.put({"ref:user:anna": "one", "ref:default": "d"}),
        second.put({"ref:user:anna": "two", "ref:default": "d"}),
    )
    async with sessions() as session:
        row = await session.get(PlatformStateRow, ("teams", "ref:user:anna"))
    assert row is not None and row.value in {"one", "two"}
    await first.put({"ref:user:anna": "three"})
    assert await ReferenceStore(sessions, clock).get("ref:user:anna") == "three"
