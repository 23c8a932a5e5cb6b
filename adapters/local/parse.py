"""Local chat: a typed line becomes a neutral inbound message."""

from __future__ import annotations

import uuid

from bot.kernel.notices import Inbound

PLATFORM = "local"


def dm_conversation(user_id: str) -> str:
    """The local conversation id of a user's direct chat with the hotline."""
    return f"user:{user_id}"


def channel_conversation(channel: str) -> str:
    """The local conversation id of a team channel."""
    return f"channel:{channel}"


def parse_line(line: str, *, user_id: str, display_name: str | None, locale: str) -> Inbound | None:
    """A line typed into the shell, or None for an empty line."""
    text = line.strip()
    if not text:
        return None
    return Inbound(
        platform=PLATFORM,
        conversation_id=dm_conversation(user_id),
        user_id=user_id,
        event_id=uuid.uuid4().hex,
        text=text,
        locale=locale,
        is_direct=True,
        display_name=display_name,
    )
