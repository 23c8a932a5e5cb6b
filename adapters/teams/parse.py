"""Teams parsing: Bot Connector activities (JSON) become neutral inbound messages.

Channel and group-chat messages reach the bot only when they @mention it; that mention
(the `mention` entity naming the bot, the activity's recipient) is removed before the text
is parsed, while other people's mentions stay as their names. Card buttons (Action.Submit)
come back as the same inbound events as typed answers, carrying the choice id; so does the
submit of a long list's choice set (its input is named "action", adapters/teams/render.py),
and a submit with nothing picked is ignored.

Every field is read defensively: a part that is not a JSON object where one is expected
counts as missing (the endpoint answers 400 for a malformed activity, never 500).

Dedupe key (`Inbound.event_id`): Teams message ids are unique per conversation only (they
are millisecond timestamps), so the key is ``"<conversation id>|<activity id>"``. An
activity without an id is keyed by a hash of its whole content instead
(``"<conversation id>|#<sha256>"``): an exact redelivery is still caught, while two
activities that differ in anything (timestamp, text, value, sender) are both handled. Keys
longer than the inbox column allows are replaced by their hash.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Iterable
from typing import Any

from bot.kernel import limits
from bot.kernel.notices import Inbound
from dialogs.commands import as_command_word

PLATFORM = "teams"
EVENT_ID_LIMIT = limits.limit("event_id")  # longer keys are hashed
_AT_TAG = re.compile(r"<at(?:\s[^>]*)?>(.*?)</at>", re.IGNORECASE | re.DOTALL)


def _obj(value: Any) -> dict[str, Any]:
    """`value` if it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def user_key(activity: dict[str, Any]) -> str:
    """How the config knows a Teams user: the AAD object id, else the channel account id."""
    sender = _obj(activity.get("from"))
    return str(sender.get("aadObjectId") or sender.get("id") or "")


def conversation_type(activity: dict[str, Any]) -> str:
    """personal, channel or groupChat."""
    return str(_obj(activity.get("conversation")).get("conversationType") or "personal")


def conversation_id(activity: dict[str, Any]) -> str:
    """The conversation's id as the activity names it (a channel thread keeps ";messageid=")."""
    return str(_obj(activity.get("conversation")).get("id") or "")


def channel_of(activity: dict[str, Any]) -> str | None:
    """The team channel (or group chat) id of a non-personal activity: the thread id without
    ";messageid="."""
    if conversation_type(activity) == "personal":
        return None
    channel = _obj(_obj(activity.get("channelData")).get("channel")).get("id")
    return str(channel or conversation_id(activity).split(";", 1)[0])


def tenant_of(activity: dict[str, Any]) -> str | None:
    """The tenant (AAD directory) the activity comes from, if it says."""
    tenant = _obj(activity.get("conversation")).get("tenantId") or _obj(
        _obj(activity.get("channelData")).get("tenant")
    ).get("id")
    return str(tenant) if tenant else None


def event_id(activity: dict[str, Any]) -> str:
    """The dedupe key: conversation id and activity id, or a content hash without an id."""
    conversation = conversation_id(activity)
    activity_id = activity.get("id")
    if activity_id:
        key = f"{conversation}|{activity_id}"
    else:
        rest = {k: v for k, v in activity.items() if k != "id"}  # missing, null or ""
        content = json.dumps(rest, sort_keys=True, ensure_ascii=False, default=str)
        key = f"{conversation}|#{hashlib.sha256(content.encode()).hexdigest()}"
    if len(key) > EVENT_ID_LIMIT:
        key = "#" + hashlib.sha256(key.encode()).hexdigest()
    return key


def parse_activity(activity: dict[str, Any]) -> Inbound | None:
    """A message, a card button press, or the bot being added; None for anything else."""
    if not user_key(activity):
        return None  # nobody to answer
    if bot_added(activity):
        return _joined(activity)
    if activity.get("type") != "message":
        return None
    value = activity.get("value")
    action_id = None
    if isinstance(value, dict) and isinstance(value.get("action"), str) and value["action"]:
        action_id = value["action"]  # a button's data, or the pick of a long list's choice set
    direct = conversation_type(activity) == "personal"
    raw = activity.get("text")
    typed = strip_mentions(raw if isinstance(raw, str) else "", bot_mentions(activity))
    text = as_command_word(typed, addressed=not direct)
    if action_id is None and not text:
        return None
    name = _obj(activity.get("from")).get("name")
    locale = activity.get("locale")
    return Inbound(
        platform=PLATFORM,
        conversation_id=conversation_id(activity),
        user_id=user_key(activity),
        event_id=event_id(activity),
        text="" if action_id else text,
        action_id=action_id,
        locale=locale if isinstance(locale, str) and locale else "de",
        is_direct=direct,
        display_name=name if isinstance(name, str) else None,
        channel_id=None if direct else channel_of(activity),
    )


def bot_added(activity: dict[str, Any]) -> bool:
    """Whether the activity says the app was installed here: installationUpdate "add" (in
    personal scope, a team or a group chat), or conversationUpdate with the bot among
    membersAdded (Teams sends both for one install; the core greets once)."""
    kind = activity.get("type")
    if kind == "installationUpdate":
        return activity.get("action") == "add"
    if kind != "conversationUpdate":
        return False
    bot_id = _obj(activity.get("recipient")).get("id")
    added = activity.get("membersAdded")
    members = added if isinstance(added, list) else []
    return bool(bot_id) and any(_obj(member).get("id") == bot_id for member in members)


def _joined(activity: dict[str, Any]) -> Inbound:
    """The neutral "the bot was added to this conversation" event."""
    direct = conversation_type(activity) == "personal"
    locale = activity.get("locale")
    name = _obj(activity.get("from")).get("name")
    return Inbound(
        platform=PLATFORM,
        conversation_id=conversation_id(activity),
        user_id=user_key(activity),
        event_id=event_id(activity),
        locale=locale if isinstance(locale, str) and locale else "de",
        is_direct=direct,
        display_name=name if isinstance(name, str) else None,
        channel_id=None if direct else channel_of(activity),
        kind="joined",
    )


def bot_mentions(activity: dict[str, Any]) -> list[str]:
    """The mention texts (``<at>Bot</at>``) that address the bot itself: `mention` entities
    whose mentioned id is the activity's recipient. An activity without any mention entity
    (an old client) falls back to the recipient's name."""
    recipient = _obj(activity.get("recipient"))
    entities = activity.get("entities")
    mentions = [_obj(e) for e in (entities if isinstance(entities, list) else []) if _is_mention(e)]
    if not mentions:
        name = recipient.get("name")
        return [f"<at>{name}</at>"] if isinstance(name, str) and name else []
    bot_id = recipient.get("id")
    return [
        str(m["text"])
        for m in mentions
        if bot_id
        and _obj(m.get("mentioned")).get("id") == bot_id
        and isinstance(m.get("text"), str)
    ]


def _is_mention(entity: Any) -> bool:
    return isinstance(entity, dict) and entity.get("type") == "mention"


def strip_mentions(text: str, mentions: Iterable[str] = ()) -> str:
    """Remove the bot's own mentions (`mentions`, as they appear in the text), keep other
    people's mentions as their names and decode HTML entities; everything else the user
    typed stays as it is."""
    for mention in mentions:
        if mention:
            text = text.replace(mention, "")
    return html.unescape(_AT_TAG.sub(r"\1", text)).replace("\u00a0", " ").strip()


def reference_of(activity: dict[str, Any]) -> dict[str, Any]:
    """What is needed to message this conversation later, from any instance."""
    recipient = _obj(activity.get("recipient"))
    return {
        "service_url": activity.get("serviceUrl"),
        "conversation_id": _obj(activity.get("conversation")).get("id"),
        "conversation_type": conversation_type(activity),
        "tenant_id": tenant_of(activity),
        "bot_id": recipient.get("id"),
        "bot_name": recipient.get("name"),
        "user_id": _obj(activity.get("from")).get("id"),
    }
