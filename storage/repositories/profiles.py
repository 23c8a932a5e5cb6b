"""What the hotline remembers about a requester between conversations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
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
) -> UserProfileRow:
    """Create or update a profile; arguments left None keep their stored value."""
    row = await get_profile(session, platform=platform, user_id=user_id)
    if row is None:
        row = UserProfileRow(platform=platform, user_id=user_id, locale=locale or "de")
        session.add(row)
    if customer_group_id is not None:
        row.customer_group_id = customer_group_id
    if locale is not None:
        row.locale = locale
    if display_name is not None:
        row.display_name = display_name
    row.updated_at = at
    await session.flush()
    return row
