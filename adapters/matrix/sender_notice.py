"""A notice to the sender of a message the bot could not handle, through the outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from adapters.matrix.parse import PLATFORM
from bot.i18n import chosen_locale, t
from bot.kernel.notices import Notice, Target
from storage.repositories import outbox, profiles


async def tell_sender(
    session: AsyncSession,
    *,
    sender: str,
    target: Target,
    key: str,
    dedupe_key: str,
    at: datetime,
) -> None:
    """Queue the catalogue text `key` for `sender` in their chosen language (Matrix names no
    platform language: else German); in a team room it is addressed to them by name. The
    dedupe key makes a retry of the caller's transaction queue it once."""
    profile = await profiles.load_profile(session, platform=PLATFORM, user_id=sender)
    text = t(key, chosen_locale(profile.locale) if profile is not None else None)
    if target.kind == "channel":
        text = f"{sender}: {text}"
    await outbox.enqueue(
        session, target=target, payload=Notice(text=text).to_json(), at=at, dedupe_key=dedupe_key
    )
