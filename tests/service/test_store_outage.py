"""The database goes away: turns are not apologised for but kept (StoreUnavailable), the same
event runs normally once the database is back, and the first turn after a restart succeeds.

Runs on a PostgreSQL server of the module's own (tests/private_postgres.py), stopped and
started for real; the classification of errors is checked on its own first."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import exc, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config.model import OrgConfig
from bot.kernel.clock import FrozenClock
from bot.kernel.notices import Inbound
from storage.engine import make_engine, make_sessionmaker
from storage.migrate import upgrade
from storage.models import AuditLogRow, OutboxRow
from storage.outage import StoreUnavailable, is_unavailable
from tests.harness import Harness
from tests.private_postgres import PrivatePostgres, fresh_database


def _wrapped(cause: BaseException, outer: BaseException) -> BaseException:
    try:
        try:
            raise cause
        except BaseException as inner:
            raise outer from inner
    except BaseException as caught:
        return caught


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(111, "Connect call failed"),
        ConnectionResetError(),
        TimeoutError(),
        exc.DBAPIError("select 1", None, Exception("gone"), connection_invalidated=True),
        exc.TimeoutError("QueuePool limit reached"),
        sqlite3.OperationalError("unable to open database file"),
        _wrapped(ConnectionRefusedError(), RuntimeError("while handling")),
    ],
    ids=lambda e: type(e).__name__,
)
def test_errors_that_mean_the_database_is_away(error: BaseException) -> None:
    assert is_unavailable(error)


@pytest.mark.parametrize(
    "error",
    [
        exc.IntegrityError("insert", None, Exception("duplicate key")),
        exc.DBAPIError("select 1", None, Exception("syntax"), connection_invalidated=False),
        sqlite3.OperationalError("database is locked"),  # busy: the timeout waits it out
        ValueError("bad input"),
        KeyError("topic"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_errors_that_are_the_turns_own(error: BaseException) -> None:
    assert not is_unavailable(error)


def test_asyncpg_server_errors_are_matched_by_name() -> None:
    asyncpg = pytest.importorskip("asyncpg")
    assert is_unavailable(asyncpg.exceptions.CannotConnectNowError("starting up"))
    assert is_unavailable(asyncpg.exceptions.AdminShutdownError("terminating connection"))
    assert not is_unavailable(asyncpg.exceptions.UniqueViolationError("duplicate"))


@pytest.fixture
async def outage_db(private_pg: PrivatePostgres) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(await fresh_database(private_pg))
    await upgrade(engine)
    yield engine
    if not private_pg.running():
        private_pg.start()
    await engine.dispose()


def _typed(event_id: str, text: str, user: str = "schule.a") -> Inbound:
    return Inbound(
        platform="local",
        conversation_id=f"user:{user}",
        user_id=user,
        event_id=event_id,
        text=text,
        is_direct=True,
    )


async def _count(harness: Harness, model: type[OutboxRow]) -> int:
    async with harness.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_a_turn_without_database_is_kept_not_apologised_for(
    outage_db: AsyncEngine, private_pg: PrivatePostgres, config: OrgConfig, clock: FrozenClock
) -> None:
    harness = Harness(config, make_sessionmaker(outage_db), clock)
    assert await harness.say("schule.a", "Hallo")  # the pool holds live connections now
    outbox_before = await _count(harness, OutboxRow)
    private_pg.stop()

    with pytest.raises(StoreUnavailable):
        await harness.engine.handle(_typed("kept-1", "/hilfe"))

    private_pg.start()
    assert await _failed_turns(harness) == []
    assert await _count(harness, OutboxRow) == outbox_before  # no apology was written
    assert await harness.engine.handle(_typed("kept-1", "/hilfe")) is True  # run as if new
    assert await harness.engine.handle(_typed("kept-1", "/hilfe")) is False  # and only once
    texts = [notice.text for notice in await harness.dm("schule.a")]
    assert texts and not any("interner Fehler" in text for text in texts), texts


async def _failed_turns(harness: Harness) -> list[str]:
    async with harness.sessions() as session:
        rows = await session.scalars(
            select(AuditLogRow.action).where(AuditLogRow.action == "inbound_failed")
        )
        return list(rows.all())


async def test_the_first_turn_after_a_restart_succeeds(
    outage_db: AsyncEngine, private_pg: PrivatePostgres, config: OrgConfig, clock: FrozenClock
) -> None:
    """Every pooled connection died with the server; the first turn must not pay for it."""
    harness = Harness(config, make_sessionmaker(outage_db), clock)
    for number in range(3):  # several connections in the pool
        await harness.say(f"schule.{number}", "Hallo")
    private_pg.stop()
    private_pg.start()

    assert await harness.engine.handle(_typed("after-restart", "/hilfe")) is True
    assert await harness.dm("schule.a")
    assert await _failed_turns(harness) == []
