"""Dialog state per (platform, conversation, user), saved with compare-and-set."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.errors import ConcurrentUpdate
from storage.models import DialogStateRow
from storage.repositories._dialect import insert_ignoring_conflicts


@dataclass(frozen=True)
class ConversationKey:
    """Whose conversation: the explicit key a dialog state is stored under."""

    platform: str
    conversation_id: str
    user_id: str


@dataclass(frozen=True)
class StoredDialog:
    """A loaded dialog state and the version it had."""

    dialog: str
    state: dict[str, Any]
    version: int
    updated_at: datetime


async def load_dialog(session: AsyncSession, *, key: ConversationKey) -> StoredDialog | None:
    """The stored state for `key`, or None if the user has no dialog running."""
    row = await session.scalar(
        select(DialogStateRow).where(
            DialogStateRow.platform == key.platform,
            DialogStateRow.conversation_id == key.conversation_id,
            DialogStateRow.user_id == key.user_id,
        )
    )
    if row is None:
        return None
    return StoredDialog(
        dialog=row.dialog, state=dict(row.state), version=row.version, updated_at=row.updated_at
    )


async def save_dialog(
    session: AsyncSession,
    *,
    key: ConversationKey,
    seen_version: int | None,
    dialog: str,
    state: dict[str, Any],
    at: datetime,
) -> int:
    """Store the new state if nobody saved since `seen_version` (None: there was none).

    Returns the new version; raises ConcurrentUpdate when another turn won the race.
    """
    if seen_version is None:
        values = {
            "platform": key.platform,
            "conversation_id": key.conversation_id,
            "user_id": key.user_id,
            "version": 1,
            "dialog": dialog,
            "state": state,
            "updated_at": at,
        }
        result = await session.execute(insert_ignoring_conflicts(session, DialogStateRow, values))
        new_version = 1
    else:
        result = await session.execute(
            update(DialogStateRow)
            .where(
                DialogStateRow.platform == key.platform,
                DialogStateRow.conversation_id == key.conversation_id,
                DialogStateRow.user_id == key.user_id,
                DialogStateRow.version == seen_version,
            )
            .values(version=seen_version + 1, dialog=dialog, state=state, updated_at=at)
            .execution_options(synchronize_session=False)
        )
        new_version = seen_version + 1
    if not result.rowcount:  # type: ignore[attr-defined]
        raise ConcurrentUpdate(f"dialog state of {key} changed concurrently")
    return new_version


async def clear_dialog(session: AsyncSession, *, key: ConversationKey) -> None:
    """Forget the dialog state for `key` (the conversation starts afresh)."""
    await session.execute(
        delete(DialogStateRow).where(
            DialogStateRow.platform == key.platform,
            DialogStateRow.conversation_id == key.conversation_id,
            DialogStateRow.user_id == key.user_id,
        )
    )
