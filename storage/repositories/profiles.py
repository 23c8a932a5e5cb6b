"""What the hotline remembers about a requester between conversations.

Every turn reads the requester's profile once (`load_profile`), and an intake step that
learns the customer group writes it (`save_profile`): both statements are built once (per
dialect and set of changed fields) and run with parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.util import identity_key

from storage.models import UserProfileRow

_TABLE: Any = UserProfileRow.__table__
_LOAD = select(_TABLE.c.customer_group_id, _TABLE.c.locale, _TABLE.c.display_name).where(
    _TABLE.c.platform == bindparam("p_platform"), _TABLE.c.user_id == bindparam("p_user")
)
_OPTIONAL = ("customer_group_id", "locale", "display_name")
_SAVE: dict[tuple[str, tuple[str, ...]], Any] = {}


@dataclass(frozen=True)
class StoredProfile:
    """A requester's profile as read at the start of a turn."""

    customer_group_id: str | None
    locale: str
    display_name: str | None


async def load_profile(
    session: AsyncSession, *, platform: str, user_id: str
) -> StoredProfile | None:
    """The profile of a platform user (plain values), if the hotline has met them."""
    row = (await session.execute(_LOAD, {"p_platform": platform, "p_user": user_id})).first()
    if row is None:
        return None
    return StoredProfile(row.customer_group_id, row.locale, row.display_name)


async def get_profile(
    session: AsyncSession, *, platform: str, user_id: str
) -> UserProfileRow | None:
    """The profile row of a platform user, if the hotline has met them."""
    return await session.scalar(
        select(UserProfileRow).where(
            UserProfileRow.platform == platform, UserProfileRow.user_id == user_id
        )
    )


def _save_statement(dialect: str, changed: tuple[str, ...]) -> Any:
    """INSERT ... ON CONFLICT (platform, user_id) DO UPDATE of `changed` and updated_at."""
    statement = _SAVE.get((dialect, changed))
    if statement is None:
        module: Any = postgresql if dialect == "postgresql" else sqlite
        insert = module.insert(_TABLE)
        statement = insert.on_conflict_do_update(
            index_elements=["platform", "user_id"],
            set_={name: insert.excluded[name] for name in (*changed, "updated_at")},
        )
        _SAVE[(dialect, changed)] = statement
    return statement


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
    given = {"customer_group_id": customer_group_id, "locale": locale, "display_name": display_name}
    changed = tuple(name for name in _OPTIONAL if given[name] is not None)
    values = {
        "platform": platform,
        "user_id": user_id,
        "updated_at": at,
        "customer_group_id": customer_group_id,
        "locale": locale or "de",
        "display_name": display_name,
    }
    statement = _save_statement(session.get_bind().dialect.name, changed)
    await session.execute(statement, values)
    loaded = session.identity_map.get(identity_key(UserProfileRow, (platform, user_id)))
    if loaded is not None:  # no stale copy in this session
        session.expire(loaded)
