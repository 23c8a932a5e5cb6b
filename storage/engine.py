"""Engine and sessions: a SQLite file in the data directory by default, PostgreSQL by URL."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

DATABASE_URL_ENV = "HOTLINE_DATABASE_URL"
DATA_DIR_ENV = "HOTLINE_DATA_DIR"


def data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where the SQLite file and local state live (HOTLINE_DATA_DIR, default ./data)."""
    env = os.environ if environ is None else environ
    return Path(env.get(DATA_DIR_ENV, "data")).resolve()


def database_url(environ: Mapping[str, str] | None = None) -> str:
    """HOTLINE_DATABASE_URL, else a SQLite file in the data directory (created on demand)."""
    env = os.environ if environ is None else environ
    url = env.get(DATABASE_URL_ENV)
    if url:
        if url.startswith("postgresql://") or url.startswith("postgres://"):
            url = "postgresql+asyncpg://" + url.split("://", 1)[1]
        return url
    directory = data_dir(env)
    directory.mkdir(parents=True, exist_ok=True)
    return f"sqlite+aiosqlite:///{directory / 'hotline.db'}"


def is_sqlite(engine: AsyncEngine) -> bool:
    """Whether the engine talks to SQLite (single writer; no SKIP LOCKED)."""
    return engine.dialect.name == "sqlite"


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine; SQLite gets WAL, a busy timeout and foreign keys, so shells can share it."""
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": 30})
        engine = create_async_engine(url, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy's "begin" hook issue BEGIN itself (the driver's own BEGIN is deferred).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _sqlite_begin_immediate(conn: Any) -> None:
            # Take the write lock at BEGIN: otherwise two shells deadlock on upgrade from read.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)
