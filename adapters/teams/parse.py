"""Teams parsing: Bot Connector activities (JSON) become neutral inbound messages.

Channel messages reach the bot only when they @mention it; the mention is stripped before
the text is parsed. Card buttons (Action.Submit) come back as the same inbound events as
typed answers, carrying the choice id.
"""

from __future__ import annotations

import re
from typing import Any

from bot.notices import Inbound
from dialogs.commands import as_command_word

PLATFORM = "teams"
_MENTION = re.compile(r"<at>[^<]*</at>", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]+>")


def user_key(activity: dict[str, Any]) -> str:
    """How the config knows a Teams user: the AAD object id, else the channel account id."""
    sender = activity.get("from") or {}
    return str(sender.get("aadObjectId") or sender.get("id") or "")


def conversation_type(activity: dict[str, Any]) -> str:
    """personal, channel or groupChat."""
    return str((activity.get("conversation") or {}).get("conversationType") or "personal")


def channel_of(activity: dict[str, Any]) -> str | None:
    """The team channel id of a channel activity (the thread id without ";messageid=")."""
    if conversation_type(activity) == "personal":
        return None
    channel = ((activity.get("channelData") or {}).get("channel") or {}).get("id")
    conversation = str((activity.get("conversation") or {}).get("id") or "")
    return str(channel or conversation.split(";", 1)[0])


def parse_activity(activity: dict[str, Any]) -> Inbound | None:
    """A message or a card button press; None for anything else."""
    if activity.get("type") != "message" or not user_key(activity):
        return None  # not a message, or nobody to answer
    value = activity.get("value")
    action_id = None
    if isinstance(value, dict) and isinstance(value.get("action"), str):
        action_id = value["action"]
    direct = conversation_type(activity) == "personal"
    text = as_command_word(strip_mentions(str(activity.get("text") or "")), addressed=not direct)
    if action_id is None and not text:
        return None
    return Inbound(
        platform=PLATFORM,
        conversation_id=str((activity.get("conversation") or {}).get("id") or ""),
        user_id=user_key(activity),
        event_id=str(activity.get("id") or ""),
        text="" if action_id else text,
        action_id=action_id,
        locale=str(activity.get("locale") or "de"),
        is_direct=direct,
        display_name=(activity.get("from") or {}).get("name"),
        channel_id=None if direct else channel_of(activity),
    )


def strip_mentions(text: str) -> str:
    """Drop <at>Bot</at> mentions and leftover markup, keep what the user typed."""
    without = _MENTION.sub("", text)
    return _TAGS.sub("", without).replace("&nbsp;", " ").strip()


def reference_of(activity: dict[str, Any]) -> dict[str, Any]:
    """What is needed to message this conversation later, from any instance."""
    conversation = activity.get("conversation") or {}
    tenant = conversation.get("tenantId") or (
        ((activity.get("channelData") or {}).get("tenant") or {}).get("id")
    )
    return {
        "service_url": activity.get("serviceUrl"),
        "conversation_id": conversation.get("id"),
        "conversation_type": conversation_type(activity),
        "tenant_id": tenant,
        "bot_id": (activity.get("recipient") or {}).get("id"),
        "bot_name": (activity.get("recipient") or {}).get("name"),
        "user_id": (activity.get("from") or {}).get("id"),
    }
