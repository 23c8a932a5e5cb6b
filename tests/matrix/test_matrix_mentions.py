"""What a requester types can never ping a room or a person through the bot's messages.

Every message the bot sends carries `m.mentions` (Matrix 1.7 intentional mentions): empty,
or the people the bot means to name (a claimer's pill). Synapse then ignores the legacy
body-based rules ("@room" from a sender allowed to notify the room, a user's name or
localpart in the text). Bot messages are m.notice, which the default push rules keep quiet
anyway; but team members may switch on "messages sent by bots" (Element's switch for
.m.rule.suppress_notices), and the bot may hold the power to notify the room. Both are set
here, and the description names "@room" and the agent: without m.mentions Synapse recorded
the card as a highlight for the agent (measured); with it, no highlight.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import nio

from tests.matrix.bot_fixture import content, ticket_number
from tests.matrix.test_matrix_hotline import file_request
from tests.matrix.world import World, wait_for_outbox


async def highlights(world: World, access_token: str) -> list[str]:
    """The event ids Synapse recorded as highlights (pings) for the token's user."""
    url = f"{world.server.base_url}/_matrix/client/v3/notifications?only=highlight"
    headers = {"Authorization": f"Bearer {access_token}"}
    async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as answer:
        assert answer.status == 200, await answer.text()
        found: dict[str, Any] = await answer.json()
    return [str(n["event"]["event_id"]) for n in found["notifications"]]


async def allow_bot_pings(world: World, access_token: str) -> None:
    """Switch on notifications for bot messages (off by default) for the token's user."""
    rule = "pushrules/global/override/.m.rule.suppress_notices/enabled"
    url = f"{world.server.base_url}/_matrix/client/v3/{rule}"
    headers = {"Authorization": f"Bearer {access_token}"}
    async with (
        aiohttp.ClientSession() as http,
        http.put(url, headers=headers, json={"enabled": False}) as answer,
    ):
        assert answer.status == 200, await answer.text()


async def test_a_card_repeating_room_and_name_mentions_pings_nobody(world: World) -> None:
    room = world.team_rooms["haushalt"]
    agent = world.agent
    levels = await agent.client.room_get_state_event(room, "m.room.power_levels")
    assert isinstance(levels, nio.RoomGetStateEventResponse), levels
    power = dict(levels.content)
    power["users"] = {**power.get("users", {}), world.bot_id: 50}  # may notify the room
    put = await agent.client.room_put_state(room, "m.room.power_levels", power)
    assert isinstance(put, nio.RoomPutStateResponse), put

    await allow_bot_pings(world, str(agent.client.access_token))
    localpart = agent.user_id[1:].split(":")[0]
    requester, dm = await world.requester("schule", wait=True)
    text = f"@room bitte {localpart} und {agent.user_id} sofort informieren"
    confirmation = await file_request(requester, dm, text)
    number = ticket_number(confirmation.body)
    card = await agent.expect(room, f"Ticket Nr. {number}")
    assert "@room" in card.body and agent.user_id in card.body
    assert content(card)["m.mentions"] == {}
    assert content(confirmation)["m.mentions"] == {}  # every notice, not only cards
    await wait_for_outbox(world.bot, within=20)
    assert card.event_id not in await highlights(world, str(agent.client.access_token))
