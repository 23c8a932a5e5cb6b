"""Engine and sessions: a SQLite file in the data directory by default, PostgreSQL by URL.

SQLite has one writer at a time, and every transaction here takes the write lock at BEGIN
(IMMEDIATE). Left to SQLite, a second connection of the same process that finds the lock
taken sleeps in its busy handler in steps of up to 100 ms and tries again, so concurrent turns
spent most of their time asleep with the lock already free. The engine therefore queues its own
transactions in the event loop (`_WriterQueue`): the next one starts the moment the previous
one commits or rolls back. BEGIN IMMEDIATE and the busy timeout still guard against other
processes (a shell, the CLI) on the same file.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.util import await_only

DATABASE_URL_ENV = "HOTLINE_DATABASE_URL"
DATA_DIR_ENV = "HOTLINE_DATA_DIR"
SQLITE_BUSY_SECONDS = 30
# Connections kept open: as many as turns commonly run at once. Past QueuePool's default of 5,
# every further concurrent session opened a connection and closed it again after one
# transaction (a TCP connect, authentication and type set-up on PostgreSQL; a thread and the
# pragmas on SQLite), which cost more than the turn itself at 20 turns in flight.
POOL_SIZE = 20
DRIVER_LOGGERS = ("aiosqlite", "asyncpg")
_QUEUED = "hotline_writer_queue"  # connection info key: the queue whose turn this connection holds


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


class _WriterQueue:
    """This engine's SQLite transactions, one at a time in arrival order (one asyncio.Lock per
    event loop: tests run several loops one after another)."""

    def __init__(self) -> None:
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )

    def lock(self) -> asyncio.Lock:
        """The lock of the running event loop."""
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        return lock

    async def enter(self, lock: asyncio.Lock) -> None:
        """Wait for our turn, as long as SQLite's own busy timeout would have waited."""
        try:
            async with asyncio.timeout(SQLITE_BUSY_SECONDS):
                await lock.acquire()
        except TimeoutError:
            error = sqlite3.OperationalError("database is locked (in-process writer queue)")
            raise exc.OperationalError("BEGIN IMMEDIATE", None, error) from None


def _leave(info: dict[str, Any]) -> None:
    """End this connection's turn in the writer queue (if it holds one)."""
    lock = info.pop(_QUEUED, None)
    if lock is not None:
        lock.release()


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine; SQLite gets WAL, a busy timeout and foreign keys, so shells can share it.

    Statement parameters never appear in errors (hence never in logs): they carry message
    texts, names and outbox payloads."""
    kwargs.setdefault("hide_parameters", True)
    for name in DRIVER_LOGGERS:  # they print each statement's parameters at DEBUG
        driver_log = logging.getLogger(name)
        if driver_log.level < logging.INFO:  # NOTSET too: a verbose root reaches them
            driver_log.setLevel(logging.INFO)
    if ":memory:" not in url:
        kwargs.setdefault("pool_size", POOL_SIZE)
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": SQLITE_BUSY_SECONDS})
        engine = create_async_engine(url, **kwargs)
        writers = _WriterQueue()

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
            # Inside this process, wait in the writer queue first (no busy-handler sleeps).
            lock = writers.lock()
            await_only(writers.enter(lock))
            conn.info[_QUEUED] = lock
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            except BaseException:
                _leave(conn.info)
                raise

        @event.listens_for(engine.sync_engine, "commit")
        @event.listens_for(engine.sync_engine, "rollback")
        def _sqlite_end(conn: Any) -> None:
            if conn.invalidated:
                # Invalidated (a turn cancelled mid-statement, e.g. at stop): its info cannot
                # be read now, and raising here would replace the real error; the pool's
                # checkin hook below ends its turn.
                return
            _leave(conn.info)

        @event.listens_for(engine.sync_engine.pool, "checkin")
        def _sqlite_checkin(_dbapi_connection: Any, record: Any) -> None:
            # A connection that went back to the pool without commit or rollback (invalidated
            # after an error) must not keep the queue blocked.
            if record is not None:
                _leave(record.info)

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)
