"""What the hotline remembers about a requester between conversations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import UserProfileRow


async def get_profile(
    session: AsyncSession, *, platform: str, user_id: str
) -> UserProfileRow | None:
    """The profile of a platform user, if the hotline has met them."""
    return await session.scalar(
        select(UserProfileRow).where(
            UserProfileRow.platform == platform, UserProfileRow.user_id == user_id
        )
    )


async def save_profile(
    session: AsyncSession,
    *,
    platform: str,
    user_id: str,
    at: datetime,
    customer_group_id: str | None = None,
    locale: str | None = None,
    display_name: str | None = None,
) -> None:
    """Create or update a profile in one statement (safe when two instances race);
    arguments left None keep their stored value."""
    changes: dict[str, Any] = {"updated_at": at}
    if customer_group_id is not None:
        changes["customer_group_id"] = customer_group_id
    if locale is not None:
        changes["locale"] = locale
    if display_name is not None:
        changes["display_name"] = display_name
    values = {"platform": platform, "user_id": user_id, "locale": "de", **changes}
    module: Any = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        module.insert(UserProfileRow)
        .values(**values)
        .on_conflict_do_update(index_elements=["platform", "user_id"], set_=changes)
    )
    await session.execute(statement)
    for loaded in list(session.identity_map.values()):  # no stale copy in this session
        if isinstance(loaded, UserProfileRow) and (loaded.platform, loaded.user_id) == (
            platform,
            user_id,
        ):
            session.expire(loaded)
