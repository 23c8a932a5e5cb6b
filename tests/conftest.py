"""Shared fixtures: the sample config, a clock that travels, and one storage fixture run on
SQLite AND PostgreSQL (skipped with a reason where the server is absent)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.config.loader import load_config
from bot.config.model import OrgConfig
from bot.kernel.clock import FrozenClock
from storage.engine import make_engine, make_sessionmaker
from storage.migrate import upgrade
from tests.matrix.server_fixture import synapse
from tests.private_postgres import PrivatePostgres, binaries, private_postgres

# One Synapse per session for every directory that needs one (tests/matrix and
# tests/cross_platform): the fixture is imported here, at the root, so it is defined once.
__all__ = ["synapse"]

BERLIN = ZoneInfo("Europe/Berlin")
PG_URL_ENV = "HOTLINE_TEST_PG_URL"
DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


def berlin(*args: int) -> datetime:
    """A Berlin wall-clock moment: berlin(2026, 11, 30, 9, 0)."""
    return datetime(*args, tzinfo=BERLIN)  # type: ignore[misc]


def world_day_start() -> datetime:
    """Where the clock of a running test bot (its own process or a background task) starts:
    Tuesday 24 Nov 2026, 08:30 in Berlin. Office hours have begun, the daily digest is 15
    minutes away, the week's report was Monday's, no holiday is near. Never the real date:
    a test run on a Monday must not receive the bot's own weekly report."""
    return berlin(2026, 11, 24, 8, 30)


@pytest.fixture(scope="session")
def config() -> OrgConfig:
    """The embedded sample organisation."""
    return load_config(None)


@pytest.fixture
def clock() -> FrozenClock:
    """Monday 30 November 2026, 09:00 in Berlin: inside office hours."""
    return FrozenClock(berlin(2026, 11, 30, 9, 0))


def _pg_url() -> str:
    return os.environ.get(PG_URL_ENV, DEFAULT_PG_URL)


PG_REQUIRED_ENV = "HOTLINE_REQUIRE_POSTGRES"  # CI sets it: a missing server fails, not skips
_pg_problem: str | None = None
_pg_checked = False


async def _postgres_problem() -> str | None:
    """Why PostgreSQL cannot be used (None: it answers); checked once per session."""
    global _pg_problem, _pg_checked
    if not _pg_checked:
        engine = make_engine(_pg_url())
        try:
            async with engine.connect() as connection:
                await asyncio.wait_for(connection.execute(text("select 1")), 5)
        except Exception as error:  # any reason (refused, auth, no database) is reported
            _pg_problem = f"{type(error).__name__}: {error}".splitlines()[0][:300]
        finally:
            await engine.dispose()
        _pg_checked = True
    return _pg_problem


async def _postgres_reachable() -> bool:
    """Whether PostgreSQL answers; with HOTLINE_REQUIRE_POSTGRES=1 a silent server fails."""
    problem = await _postgres_problem()
    if problem is not None and os.environ.get(PG_REQUIRED_ENV) == "1":
        pytest.fail(f"PostgreSQL required ({PG_REQUIRED_ENV}=1) but {_pg_url()}: {problem}")
    return problem is None


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """A freshly migrated database: a SQLite file, or a private schema on PostgreSQL."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'hotline.db'}")
        await upgrade(engine)
        yield engine
        await engine.dispose()
        return
    if not await _postgres_reachable():
        problem = await _postgres_problem()
        pytest.skip(f"PostgreSQL not reachable at {_pg_url()} ({problem}; set {PG_URL_ENV})")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(_pg_url())
    async with admin.begin() as connection:
        await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(_pg_url(), connect_args={"server_settings": {"search_path": schema}})
    try:
        await upgrade(engine)
        yield engine
    finally:
        await engine.dispose()
        async with admin.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


@contextlib.asynccontextmanager
async def postgres_schema() -> AsyncIterator[tuple[str, dict[str, Any]]]:
    """A private schema on the shared PostgreSQL for a whole bot (as `db` makes one for a test
    of its own): the server's URL and the connect_args that make the schema the search path.
    Dropped afterwards (DROP SCHEMA is quick, DROP DATABASE waits for a checkpoint)."""
    if not await _postgres_reachable():
        problem = await _postgres_problem()
        pytest.skip(f"PostgreSQL not reachable at {_pg_url()} ({problem}; set {PG_URL_ENV})")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(_pg_url())
    async with admin.begin() as connection:
        await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _pg_url(), {"server_settings": {"search_path": schema}}
    finally:
        async with admin.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


@pytest.fixture
def sessions(db: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions on the parametrized database."""
    return make_sessionmaker(db)


@pytest.fixture(scope="module")
def private_pg() -> Iterator[PrivatePostgres]:
    """A PostgreSQL server of the module's own, which its tests may stop and start (the
    shared one must never stop). Skips where the server binaries are missing; CI fails."""
    if binaries() is None:
        reason = "no PostgreSQL server binaries (apt-get install postgresql) for outage tests"
        if os.environ.get(PG_REQUIRED_ENV) == "1":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    with private_postgres() as server:
        yield server
