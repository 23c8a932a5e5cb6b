"""Dialect-specific INSERT ... ON CONFLICT, which SQLite and PostgreSQL both support."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def insert_ignoring_conflicts(session: AsyncSession, table: Any, values: dict[str, Any]) -> Any:
    """An INSERT that does nothing when a unique key already exists."""
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table).values(**values).on_conflict_do_nothing()


def supports_skip_locked(session: AsyncSession) -> bool:
    """PostgreSQL can hand rows to one of many workers with FOR UPDATE SKIP LOCKED."""
    return session.get_bind().dialect.name == "postgresql"
