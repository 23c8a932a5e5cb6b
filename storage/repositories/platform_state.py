"""Key/value facts per platform that must survive restarts (sync token, device id, DM rooms).

Keys are built from platform ids ("dm:<user id>", "ref:user:<id>"), so one may be longer
than the column: it is stored as its digest (`stored_key`), the same on every store."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.kernel import limits
from storage.models import PlatformStateRow

# Keys that name one person ("<kind>:<user id>"); an erasure of the person deletes them.
DM = "dm"  # Matrix: the person's DM room with the bot
DM_REPLACED = "dm-replaced"  # Matrix: the DM opened in place of one they left
TEAMS_USER = "ref:user"  # Teams: the reference of their 1:1 chat (with their name)
PERSON_KINDS = (DM, DM_REPLACED, TEAMS_USER)


def person_key(kind: str, user_id: str) -> str:
    """The key of a fact about one person."""
    return f"{kind}:{user_id}"


def stored_key(key: str) -> str:
    """The key as stored: itself, or its digest when longer than the column."""
    return limits.stored_key("state_key", key)


async def get_value(session: AsyncSession, *, platform: str, key: str) -> str | None:
    """The stored value, or None (read from the database, never from the session's cache,
    which an upsert by `set_value` does not update)."""
    value = await session.scalar(
        select(PlatformStateRow.value).where(
            PlatformStateRow.platform == platform, PlatformStateRow.key == stored_key(key)
        )
    )
    return None if value is None else str(value)


async def set_value(
    session: AsyncSession, *, platform: str, key: str, value: str, at: datetime
) -> None:
    """Store or overwrite a value (one statement: the sync loop writes its token often)."""
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(PlatformStateRow).values(
        platform=platform, key=stored_key(key), value=value, updated_at=at
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["platform", "key"], set_={"value": value, "updated_at": at}
        )
    )


async def forget_person(session: AsyncSession, *, platform: str | None, user_id: str) -> int:
    """Delete the facts kept about one person (their next message stores what is needed)."""
    keys = [person_key(kind, user_id) for kind in PERSON_KINDS]
    condition: Any = PlatformStateRow.key.in_(keys)
    if platform is not None:
        condition = condition & (PlatformStateRow.platform == platform)
    result: Any = await session.execute(delete(PlatformStateRow).where(condition))
    return int(result.rowcount or 0)
