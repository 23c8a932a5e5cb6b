"""Key/value facts per platform that must survive restarts (sync token, device id, DM rooms)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import PlatformStateRow


async def get_value(session: AsyncSession, *, platform: str, key: str) -> str | None:
    """The stored value, or None."""
    row = await session.get(PlatformStateRow, (platform, key))
    return None if row is None else row.value


async def set_value(
    session: AsyncSession, *, platform: str, key: str, value: str, at: datetime
) -> None:
    """Store or overwrite a value."""
    row = await session.get(PlatformStateRow, (platform, key))
    if row is None:
        session.add(PlatformStateRow(platform=platform, key=key, value=value, updated_at=at))
    else:
        row.value, row.updated_at = value, at
    await session.flush()
