"""One holder at a time across instances: a PostgreSQL session-level advisory lock.

Why an advisory lock and not a lease row: PostgreSQL frees it the moment the holder's
connection ends. A process killed with -9 has its socket closed by the kernel, the server
backend sees the end of the stream and drops the lock at once, so a standby polling with
pg_try_advisory_lock takes over within one poll, without waiting for a lease to expire and
without trusting the clocks of two machines. No table, no migration.

The lock lives on a connection of its own, taken from the engine's pool (so it has the
engine's connect arguments, the schema among them) but never given back: it is invalidated
(closed) on release, since a pooled connection would keep the lock for whoever borrowed it
next. It runs in autocommit, so it never holds a transaction open. The key is a hash of
the lock's name and the current schema: two deployments in two schemas of one database
elect each their own active instance (advisory locks are per database).

While it is held, `held()` pings that connection: a connection that is gone (or does not
answer within CHECK_SECONDS) means the server may already have given the lock to another
instance, so the holder must stop at once. A machine cut off from the network keeps its
lock on the server until TCP gives up on it: the standby then waits, it never doubles.

SQLite serves one instance only: there the lock is always granted (nothing to elect).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)
CHECK_SECONDS = 5.0  # a ping slower than this counts as a lost connection (hence lock)
TRY_LOCK = text(
    "SELECT pg_try_advisory_lock(hashtextextended(:name || '/' || current_schema(), 0))"
)


class LeaderLock:
    """A named lock that at most one instance on the database holds."""

    def __init__(self, engine: AsyncEngine, name: str) -> None:
        self.name = name
        self.engine = engine
        self._conn: AsyncConnection | None = None
        self._held = False
        self._busy = asyncio.Lock()  # one statement at a time on the lock's connection

    @property
    def shared(self) -> bool:
        """Whether several instances can contend (PostgreSQL); False: always granted."""
        return self.engine.dialect.name == "postgresql"

    async def try_acquire(self) -> bool | None:
        """Take the lock if nobody holds it: True when this instance holds it now, False when
        another one does, None when the database cannot be asked (try again later)."""
        async with self._busy:
            return await self._try_acquire()

    async def _try_acquire(self) -> bool | None:
        if not self.shared:
            self._held = True
            return True
        if self._held:
            return True if await self._ping() else await self._try_acquire()
        try:
            conn = await self._connection()
            got = (await conn.execute(TRY_LOCK, {"name": self.name})).scalar()
        except Exception as error:  # the database away: try again at the next poll
            log.warning("leader lock %s: database unavailable (%r)", self.name, error)
            await self._drop()
            return None
        self._held = bool(got)
        return self._held

    async def held(self) -> bool:
        """Whether the lock is still ours: its connection answers. False once it did not
        (the connection is then dropped, so the lock is surely free for the others)."""
        async with self._busy:
            return await self._ping()

    async def _ping(self) -> bool:
        if not self.shared:
            return self._held
        if not self._held or self._conn is None:
            return False
        try:
            async with asyncio.timeout(CHECK_SECONDS):
                await self._conn.execute(text("SELECT 1"))
        except Exception as error:
            log.error("leader lock %s lost: its connection failed (%r)", self.name, error)
            await self._drop()
            return False
        return True

    async def release(self) -> None:
        """Give the lock up (closing its connection frees it on the server)."""
        async with self._busy:
            await self._drop()

    async def _connection(self) -> AsyncConnection:
        if self._conn is None:
            conn = await self.engine.connect()
            self._conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        return self._conn

    async def _drop(self) -> None:
        self._held = False
        conn, self._conn = self._conn, None
        if conn is not None:  # a hung server must not hang the holder's stop
            with contextlib.suppress(Exception):
                async with asyncio.timeout(CHECK_SECONDS):
                    await conn.invalidate()
                    await conn.close()
