"""The Alembic migrations produce exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.migrate import current_revision
from storage.models import Base


async def test_models_and_migrations_agree(db: AsyncEngine) -> None:
    def _diff(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with db.connect() as connection:
        diff = await connection.run_sync(_diff)
    assert diff == [], f"models changed without a migration: {diff}"
    assert await current_revision(db) is not None


async def test_every_deadline_column_of_tickets_is_indexed(db: AsyncEngine) -> None:
    """The issue's promise: deadlines are indexed columns, so a sweep or report is one query."""

    def _indexed(connection: Connection) -> set[str]:
        indexes = inspect(connection).get_indexes("tickets")
        return {column for index in indexes for column in index["column_names"] if column}

    async with db.connect() as connection:
        indexed = await connection.run_sync(_indexed)
    deadlines = {"first_response_due_at", "resolution_due_at", "update_due_at", "next_due_at"}
    assert deadlines | {"next_action_at"} <= indexed
