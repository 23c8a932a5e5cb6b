"""One bot serving Matrix (a real Synapse) and Teams (an emulator) at once, for tests of a
ticket that crosses platforms.

- ``with_teams``: a Matrix test config (tests/matrix/bot_fixture.py hotline_config) with
  Teams served too, where EXACTLY the given people and team channels are on Teams (the
  sample's Teams ids would otherwise make every card and DM go to unknown Teams chats).
- ``TeamsAgent``: a staff member writing in a Teams channel or pressing a card's button, as
  the Bot Connector posts it to the bot (the local connector emulator's serviceUrl).
- ``shown`` / ``buttons``: what a Teams user reads in a message the bot posted there.
- ``accept_dm``: a Matrix user joins the DM the bot opened with them.
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import aiohttp
import nio

from bot.config.model import OrgConfig, Person
from tests.matrix.bot_fixture import Chat
from tests.teams.bot_fixture import teams_config
from tests.teams.connector_faults import ReceivedActivity
from tests.teams.stage import Posted

TENANT = "cross-tenant"
BOT = {"id": "28:hotline-cross", "name": "Hotline"}


def with_teams(
    config: OrgConfig,
    *,
    port: int,
    service_url: str,
    people: Mapping[str, str],
    channels: Mapping[str, str],
) -> OrgConfig:
    """`config` (Matrix enabled) with Teams enabled as well, anonymous on 127.0.0.1:`port`.
    `people` maps person ids to Teams (AAD object) ids and `channels` team ids to Teams
    channel ids; everybody and every team else loses the sample's Teams id."""

    def ids(person: Person) -> dict[str, str]:
        return {k: v for k, v in person.platform_ids.items() if k != "teams"}

    stripped = []
    for team in config.teams:
        members = tuple(replace(p, platform_ids=ids(p)) for p in team.members)
        channel_ids = {k: v for k, v in team.channels.items() if k != "teams"}
        stripped.append(replace(team, members=members, channels=channel_ids))
    on_teams = teams_config(
        replace(config, teams=tuple(stripped)),
        port=port,
        people=people,
        channels=channels,
        service_url=service_url,
    )
    return replace(on_teams, platforms={**on_teams.platforms, "matrix": config.platforms["matrix"]})


@dataclass
class TeamsAgent:
    """A staff member in Teams: their activities, posted to the bot's /api/messages as the
    Bot Connector would (anonymous mode: no token), naming `service_url` to answer to."""

    endpoint: str
    service_url: str
    aad_id: str
    name: str
    channel: str
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def activity(self, conversation: str, **fields: Any) -> dict[str, Any]:
        """A message activity in `conversation` (a channel or a thread of it)."""
        kind = "personal" if conversation.startswith("a:") else "channel"
        channel_data: dict[str, Any] = {"tenant": {"id": TENANT}}
        if kind == "channel":
            channel_data |= {"team": {"id": self.channel}, "channel": {"id": self.channel}}
        return {
            "type": "message",
            "id": f"17100000{next(self._ids):05d}",
            "channelId": "msteams",
            "serviceUrl": self.service_url,
            "from": {"id": f"29:{self.aad_id}", "name": self.name, "aadObjectId": self.aad_id},
            "recipient": BOT,
            "conversation": {"id": conversation, "conversationType": kind, "tenantId": TENANT},
            "channelData": channel_data,
            "locale": "de-DE",
            **fields,
        }

    async def post(self, activity: dict[str, Any]) -> None:
        async with (
            aiohttp.ClientSession() as http,
            http.post(self.endpoint, json=activity) as answer,
        ):
            assert answer.status in (200, 201), (answer.status, await answer.text())

    async def say_in_thread(self, card: ReceivedActivity, text: str) -> None:
        """Type `text` under the card (mentioning the bot, or Teams would not pass it on)."""
        thread = f"{self.channel};messageid={card.activity_id}"
        body = f"<at>{BOT['name']}</at> {text}"
        await self.post(self.activity(thread, text=body, replyToId=card.activity_id))

    async def press(self, card: ReceivedActivity, action: str) -> None:
        """Press the card's button `action` (an Action.Submit; it must be on the card)."""
        assert action in buttons(card), f"no button {action!r} on the card: {buttons(card)}"
        thread = f"{self.channel};messageid={card.activity_id}"
        value = {"action": action}
        await self.post(self.activity(thread, value=value, replyToId=card.activity_id))


def shown(activity: ReceivedActivity) -> str:
    """What a Teams user reads in a message the bot posted: text, card texts and facts; a
    mention (`<at>Name</at>`) reads as the name, as Teams shows it."""
    text = Posted(activity.conversation_id, activity.body, 0).text
    return re.sub(r"<at>(.*?)</at>", lambda tag: html.unescape(tag.group(1)), text)


def buttons(activity: ReceivedActivity) -> list[str]:
    """The action ids of the card's submit buttons."""
    return [
        str(action["data"]["action"])
        for attachment in activity.attachments
        for action in (attachment.get("content") or {}).get("actions", [])
        if isinstance(action.get("data"), dict) and "action" in action["data"]
    ]


async def accept_dm(chat: Chat, sender: str, within: float = 20.0) -> str:
    """Join the room `sender` (the bot) invited `chat` into; return its id."""

    def invited() -> list[str]:
        rooms = chat.client.invited_rooms.items()
        return [room_id for room_id, room in rooms if room.inviter == sender]

    await chat.sync_until(lambda: bool(invited()), within)
    (room_id,) = invited()
    joined = await chat.client.join(room_id)
    assert isinstance(joined, nio.JoinResponse), joined
    await chat.sync_until(lambda: room_id in chat.client.rooms)
    return room_id
