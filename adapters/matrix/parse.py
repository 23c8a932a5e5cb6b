"""Matrix parsing: nio events become neutral inbound messages (or reactions to resolve).

Only m.text from other users counts: the bot's own events and m.notice (the convention for
bot messages) are ignored, so bots never answer bots. Edits (m.relates_to rel_type m.replace,
body "* new text") are ignored too: the original message was answered already, and a
correction of it would otherwise be answered as a second message.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from nio import Event, ReactionEvent, RoomMessageText

from bot.kernel import limits
from bot.kernel.notices import Inbound, inbound_to_json

PLATFORM = "matrix"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RoomContext:
    """What the adapter knows about the room an event came from."""

    room_id: str
    is_direct: bool
    channel: str | None  # the configured team channel address, for team rooms
    bot_user_id: str
    bot_names: tuple[str, ...]  # display name and localpart, to strip "Hotline: /claim 3"


def parse_event(event: Event, ctx: RoomContext) -> dict[str, Any] | None:
    """An inbox payload for a message or reaction, or None for anything to ignore."""
    if event.sender == ctx.bot_user_id:
        return None
    if isinstance(event, RoomMessageText):
        if is_edit(event):
            return None
        inbound = Inbound(
            platform=PLATFORM,
            conversation_id=ctx.room_id,
            user_id=event.sender,
            event_id=event.event_id,
            text=strip_bot_mention(strip_reply_fallback(event.body), ctx.bot_names),
            is_direct=ctx.is_direct,
            channel_id=ctx.channel,
        )
        return {"kind": "message", "inbound": inbound_to_json(inbound)}
    if isinstance(event, ReactionEvent):
        return {
            "kind": "reaction",
            "room_id": ctx.room_id,
            "sender": event.sender,
            "event_id": event.event_id,
            "reacts_to": event.reacts_to,
            "key": event.key,
            "is_direct": ctx.is_direct,
            "channel": ctx.channel,
        }
    return None


def too_long(event: Event, room_id: str) -> bool:
    """Whether the event's ids are longer than any homeserver gives (the length policy):
    such an event is ignored before anything of it is stored, encrypted or not."""
    ids = {  # an UnknownBadEvent has neither: nothing too long (and nothing parsed) there
        "user_id": str(getattr(event, "sender", None) or ""),
        "conversation_id": room_id,
        "event_id": str(getattr(event, "event_id", None) or ""),
    }
    oversized = limits.oversized_ids(ids)
    if oversized:
        log.warning("ignored a Matrix event: %s too long", ", ".join(oversized))
    return bool(oversized)


def is_edit(event: Event) -> bool:
    """Whether the event replaces an earlier one (m.relates_to rel_type m.replace)."""
    content = event.source.get("content")
    relates = content.get("m.relates_to") if isinstance(content, dict) else None
    return isinstance(relates, dict) and relates.get("rel_type") == "m.replace"


def reaction_inbound(payload: dict[str, Any], action_id: str) -> Inbound:
    """The inbound button press a reaction stands for."""
    return Inbound(
        platform=PLATFORM,
        conversation_id=str(payload["room_id"]),
        user_id=str(payload["sender"]),
        event_id=str(payload["event_id"]),
        action_id=action_id,
        is_direct=bool(payload["is_direct"]),
        channel_id=payload.get("channel"),
    )


def strip_reply_fallback(body: str) -> str:
    """Drop the quoted "> <@user> ..." lines clients put in front of a reply."""
    lines = body.split("\n")
    if not lines or not lines[0].startswith("> "):
        return body
    while lines and lines[0].startswith(">"):
        lines.pop(0)
    return "\n".join(lines).strip()


def strip_bot_mention(body: str, names: tuple[str, ...]) -> str:
    """ "Hotline: /claim 3" -> "/claim 3" (how clients write a mention of the bot)."""
    text = body.strip()
    for name in names:
        for separator in (":", ","):
            prefix = f"{name}{separator}"
            if name and text.casefold().startswith(prefix.casefold()):
                return text[len(prefix) :].strip()
    return text
