"""Matrix parsing: nio events become neutral inbound messages (or reactions to resolve).

Only m.text from other users counts: the bot's own events and m.notice (the convention for
bot messages) are ignored, so bots never answer bots. An edit (m.relates_to rel_type
m.replace) becomes an Inbound naming the edited event (`edits`) with the new text from
m.new_content, and a redaction (m.room.redaction; `redacts` at the top level or, from
room version 11 on, in the content) one naming the deleted event (`redacts`): the core
decides whether they matter (only a request's description does). A person's mention
pill in a command becomes their Matrix id (pills.py). A user of a homeserver
that is not allowed is not served: their messages, reactions and encrypted events become
a "foreign" payload naming only sender and room, no text (foreign.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from nio import Event, MegolmEvent, ReactionEvent, RoomMessageText

from adapters.matrix import pills
from bot.kernel import limits
from bot.kernel.notices import Inbound, inbound_to_json

PLATFORM = "matrix"
NO_LOCALE = ""  # Matrix events carry no language: the core guesses from the words
FOREIGN = "foreign"  # the payload kind of an event from a homeserver that is not allowed
# What a user does to be served; from a foreign server, refused (other events: ignored).
ADDRESSED = (RoomMessageText, ReactionEvent, MegolmEvent)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RoomContext:
    """What the adapter knows about the room an event came from."""

    room_id: str
    is_direct: bool
    channel: str | None  # the configured team channel address, for team rooms
    bot_user_id: str
    bot_names: tuple[str, ...]  # display name and localpart, to strip "Hotline: /claim 3"
    allowed_homeservers: tuple[str, ...] | None = None  # None: every user is served

    def serves(self, user_id: str) -> bool:
        """Whether the user's homeserver (after the first colon) is an allowed one."""
        if self.allowed_homeservers is None:
            return True
        return user_id.partition(":")[2] in self.allowed_homeservers


def parse_event(event: Event, ctx: RoomContext) -> dict[str, Any] | None:
    """An inbox payload for a message or reaction, or None for anything to ignore."""
    if event.sender == ctx.bot_user_id:
        return None
    if not ctx.serves(event.sender):
        return foreign_payload(event, ctx) if isinstance(event, ADDRESSED) else None
    if isinstance(event, RoomMessageText):
        edits = edited_event(event)
        body = event.body if edits is None else new_body(event)
        text = strip_bot_mention(strip_reply_fallback(body), ctx.bot_names)
        text = pills.with_user_ids(text, pills.formatted_body(_content(event)), ctx.bot_user_id)
        return _message(event, ctx, text=text, edits=edits)
    redacts = redacted_event(event)
    if redacts is not None:
        return _message(event, ctx, text="", redacts=redacts)
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


def foreign_payload(event: Event, ctx: RoomContext) -> dict[str, Any]:
    """What is kept of an event from a homeserver that is not allowed: who, where; no text."""
    return {
        "kind": FOREIGN,
        "room_id": ctx.room_id,
        "sender": event.sender,
        "event_id": event.event_id,
        "is_direct": ctx.is_direct,
        "channel": ctx.channel,
    }


def _message(event: Event, ctx: RoomContext, **fields: Any) -> dict[str, Any]:
    inbound = Inbound(
        platform=PLATFORM,
        conversation_id=ctx.room_id,
        user_id=event.sender,
        event_id=event.event_id,
        locale=NO_LOCALE,
        is_direct=ctx.is_direct,
        channel_id=ctx.channel,
        **fields,
    )
    return {"kind": "message", "inbound": inbound_to_json(inbound)}


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


def _content(event: Event) -> dict[str, Any]:
    content = event.source.get("content")
    return content if isinstance(content, dict) else {}


def edited_event(event: Event) -> str | None:
    """The id of the event this one replaces (m.relates_to rel_type m.replace), or None."""
    relates = _content(event).get("m.relates_to")
    if not isinstance(relates, dict) or relates.get("rel_type") != "m.replace":
        return None
    original = relates.get("event_id")
    return original if isinstance(original, str) and original else None


def new_body(event: Event) -> str:
    """An edit's new text: m.new_content's body, else the fallback body without "* "."""
    new = _content(event).get("m.new_content")
    if isinstance(new, dict) and isinstance(new.get("body"), str):
        return str(new["body"])
    body = str(_content(event).get("body", ""))
    return body[2:] if body.startswith("* ") else body


def redacted_event(event: Event) -> str | None:
    """The id of the event a redaction deletes, or None (not a redaction). nio parses one
    with `redacts` only in its content (room version 11 and later) as a BadEvent."""
    if event.source.get("type") != "m.room.redaction":
        return None
    redacts = event.source.get("redacts") or _content(event).get("redacts")
    return redacts if isinstance(redacts, str) and redacts else None


def joined_direct(room_id: str, inviter: str) -> dict[str, Any]:
    """The inbox payload for "the bot accepted `inviter`'s DM invite" (the core greets)."""
    inbound = Inbound(
        platform=PLATFORM,
        conversation_id=room_id,
        user_id=inviter,
        event_id=f"joined|{room_id}",
        locale=NO_LOCALE,
        is_direct=True,
        kind="joined",
    )
    return {"kind": "message", "inbound": inbound_to_json(inbound)}


def reaction_inbound(payload: dict[str, Any], action_id: str) -> Inbound:
    """The inbound button press a reaction stands for."""
    return Inbound(
        platform=PLATFORM,
        conversation_id=str(payload["room_id"]),
        user_id=str(payload["sender"]),
        event_id=str(payload["event_id"]),
        action_id=action_id,
        locale=NO_LOCALE,
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
