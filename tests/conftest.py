"""Shared fixtures: the sample config, a clock that travels, and one storage fixture run on
SQLite AND PostgreSQL (skipped with a reason where the server is absent)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import settings
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.config.loader import load_config
from bot.config.model import OrgConfig
from bot.kernel.clock import FrozenClock
from storage.engine import make_engine, make_sessionmaker
from tests.db_templates import PostgresTemplate, SqliteTemplate, find_pg_dump
from tests.private_postgres import PrivatePostgres, binaries, private_postgres

# Hypothesis' per-example deadline (200 ms) is a timing assertion: on a busy 2-core machine
# it failed a calendar property in 363 ms. Properties check correctness; speed is measured
# by the benchmarks (tests/bench).
settings.register_profile("hotline", deadline=None)
settings.load_profile("hotline")

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


def pg_url() -> str:
    return os.environ.get(PG_URL_ENV, DEFAULT_PG_URL)


PG_REQUIRED_ENV = "HOTLINE_REQUIRE_POSTGRES"  # CI sets it: a missing server fails, not skips
_pg_problem: str | None = None
_pg_checked = False


async def postgres_problem() -> str | None:
    """Why PostgreSQL cannot be used (None: it answers); checked once per session."""
    global _pg_problem, _pg_checked
    if not _pg_checked:
        engine = make_engine(pg_url())
        try:
            async with engine.connect() as connection:
                await asyncio.wait_for(connection.execute(text("select 1")), 5)
        except Exception as error:  # any reason (refused, auth, no database) is reported
            _pg_problem = f"{type(error).__name__}: {error}".splitlines()[0][:300]
        finally:
            await engine.dispose()
        _pg_checked = True
    return _pg_problem


async def postgres_reachable() -> bool:
    """Whether PostgreSQL answers; with HOTLINE_REQUIRE_POSTGRES=1 a silent server fails."""
    problem = await postgres_problem()
    if problem is not None and os.environ.get(PG_REQUIRED_ENV) == "1":
        pytest.fail(f"PostgreSQL required ({PG_REQUIRED_ENV}=1) but {pg_url()}: {problem}")
    return problem is None


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> SqliteTemplate:
    """The run's migrated SQLite file (made on first use)."""
    return SqliteTemplate(tmp_path_factory.mktemp("template"))


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[PostgresTemplate]:
    """The run's migrated PostgreSQL template database (made on first use, dropped after)."""
    template = PostgresTemplate(pg_url(), find_pg_dump())
    yield template
    asyncio.run(template.close())


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def db(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    sqlite_template: SqliteTemplate,
    postgres_template: PostgresTemplate,
) -> AsyncIterator[AsyncEngine]:
    """A freshly migrated database of the test's own: a copy of the run's migrated SQLite
    file, or a PostgreSQL schema made from the run's template schema (tests/db_templates.py)."""
    if request.param == "sqlite":
        engine = make_engine(await sqlite_template.copy_to(tmp_path / "hotline.db"))
        yield engine
        await engine.dispose()
        return
    if not await postgres_reachable():
        problem = await postgres_problem()
        pytest.skip(f"PostgreSQL not reachable at {pg_url()} ({problem}; set {PG_URL_ENV})")
    schema = await postgres_template.create()
    engine = postgres_template.engine_for(schema)
    try:
        yield engine
    finally:
        await engine.dispose()
        await postgres_template.drop(schema)


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
