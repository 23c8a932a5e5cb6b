"""The Alembic migrations produce exactly the schema the models describe, run directly and
as the storage fixture copies them from the run's template (tests/db_templates.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.engine import make_engine
from storage.migrate import current_revision, head_revision, upgrade
from storage.models import Base
from tests.conftest import pg_url, postgres_reachable
from tests.db_templates import PostgresTemplate


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def migrated(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """A database migrated right here by Alembic, not copied from the template."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}")
        await upgrade(engine)
        yield engine
        await engine.dispose()
        return
    if not await postgres_reachable():
        pytest.skip(f"PostgreSQL not reachable at {pg_url()}")
    template = PostgresTemplate(pg_url(), pg_dump=None)
    schema = await template.create()  # without pg_dump: Alembic runs into the new schema
    engine = template.engine_for(schema)
    try:
        yield engine
    finally:
        await engine.dispose()
        await template.drop(schema)


async def _schema_diff(engine: AsyncEngine) -> list[object]:
    def _diff(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with engine.connect() as connection:
        return await connection.run_sync(_diff)


async def test_models_and_migrations_agree(migrated: AsyncEngine) -> None:
    diff = await _schema_diff(migrated)
    assert diff == [], f"models changed without a migration: {diff}"
    assert await current_revision(migrated) == head_revision()


async def test_the_fixtures_copy_is_the_migrated_schema(db: AsyncEngine) -> None:
    """What nearly every storage test runs on: the template's copy, at the newest revision."""
    diff = await _schema_diff(db)
    assert diff == [], f"the template copy differs from the models: {diff}"
    assert await current_revision(db) == head_revision()


async def test_every_deadline_column_of_tickets_is_indexed(db: AsyncEngine) -> None:
    """The issue's promise: deadlines are indexed columns, so a sweep or report is one query."""

    def _indexed(connection: Connection) -> set[str]:
        indexes = inspect(connection).get_indexes("tickets")
        return {column for index in indexes for column in index["column_names"] if column}

    async with db.connect() as connection:
        indexed = await connection.run_sync(_indexed)
    deadlines = {"first_response_due_at", "resolution_due_at", "update_due_at", "next_due_at"}
    assert deadlines | {"next_action_at"} <= indexed
