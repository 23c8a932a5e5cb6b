"""Conversation references (where to post for a user or channel), stored and cached.

Every inbound turn stores the reference of its conversation, and every outbound notice reads
one. Done in the database each time, that was a write transaction per turn plus a read per
notice, all queueing for SQLite's single write lock (the benchmark's biggest cost after
botbuilder). The values change almost never, so a bounded in-memory copy answers repeats:
a value equal to the cached one is not written again, and a cached one is not read again.
The database stays the source of truth for other instances and after a restart. A write is
one upsert per key, so two turns (or instances) storing the same new key at once both succeed.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.kernel.clock import Clock
from storage.models import PlatformStateRow
from storage.repositories import platform_state

PLATFORM = "teams"
CACHE_SIZE = 20_000  # keys; bounded so that memory stays flat as users pile up


class ReferenceStore:
    """platform_state values of the Teams adapter, with a bounded write-through cache."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], clock: Clock, size: int = CACHE_SIZE
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.size = size
        self._cache: OrderedDict[str, str] = OrderedDict()

    async def get(self, key: str) -> str | None:
        """The value stored under `key` (None when there is none), from the cache if known."""
        value = self._cache.get(key)
        if value is not None:
            self._cache.move_to_end(key)
            return value
        async with self.sessions() as session:
            value = await platform_state.get_value(session, platform=PLATFORM, key=key)
        if value is not None:
            self._keep(key, value)
        return value

    async def put(self, values: Mapping[str, str]) -> None:
        """Store each value whose stored value differs (one transaction at most)."""
        changed = {key: value for key, value in values.items() if self._cache.get(key) != value}
        if not changed:
            return
        async with self.sessions() as session, session.begin():
            await session.execute(_upsert(session, changed, self.clock.now()))
        for key, value in changed.items():
            self._keep(key, value)

    def _keep(self, key: str, value: str) -> None:
        self._cache[key] = value
        self._cache.move_to_end(key)
        while len(self._cache) > self.size:
            self._cache.popitem(last=False)


def _upsert(session: AsyncSession, values: Mapping[str, str], at: datetime) -> Any:
    """INSERT ... ON CONFLICT DO UPDATE of each key's value (SQLite and PostgreSQL)."""
    module: Any = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    rows = [
        {
            "platform": PLATFORM,
            "key": platform_state.stored_key(key),
            "value": value,
            "updated_at": at,
        }
        for key, value in values.items()
    ]
    statement = module.insert(PlatformStateRow).values(rows)
    return statement.on_conflict_do_update(
        index_elements=[PlatformStateRow.platform, PlatformStateRow.key],
        set_={"value": statement.excluded.value, "updated_at": statement.excluded.updated_at},
    )
