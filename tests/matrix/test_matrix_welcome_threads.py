"""On real Synapse (issue 15): the bot greets a DM it is invited to, once; a first message
in English is answered in English (Matrix gives no locale); an acknowledgement typed in a
team room goes into the card's thread, naming the agent."""

from __future__ import annotations

import nio

from tests.matrix.bot_fixture import content, room_history, ticket_number
from tests.matrix.conftest import WorldFactory
from tests.matrix.synapse import SynapseServer
from tests.matrix.test_matrix_hotline import file_request
from tests.matrix.world import wait_for_outbox

WELCOME = "Schreiben Sie Ihr Anliegen einfach in diesen Chat"


async def test_dm_invite_is_welcomed_once_and_english_is_answered_in_english(
    synapse: SynapseServer, worlds: WorldFactory
) -> None:
    world = await worlds(synapse, teams=("haushalt",))
    requester, dm = await world.requester("welcome", wait=True)
    welcome = await requester.expect(dm, WELCOME)
    assert "/hilfe" in welcome.body and "Just write in English" in welcome.body
    await requester.say(dm, "Hello, I have a question about my invoice")
    await requester.expect(dm, "This is the finance department's hotline")
    offered = await requester.expect(dm, "customer group")
    assert "Kundengruppe" not in offered.body
    await wait_for_outbox(world.bot, within=30)
    bodies = [
        str(event.body)
        for event in await room_history(requester.client, dm)
        if isinstance(event, nio.RoomMessageNotice)
    ]
    assert sum(WELCOME in body for body in bodies) == 1


async def test_a_claim_typed_in_the_team_room_is_answered_in_the_cards_thread(
    synapse: SynapseServer, worlds: WorldFactory
) -> None:
    world = await worlds(synapse, teams=("haushalt",))
    requester, dm = await world.requester("schule")
    number = ticket_number((await file_request(requester, dm)).body)
    room, agent = world.team_rooms["haushalt"], world.agent
    card = await agent.expect(room, f"Ticket Nr. {number}")
    await agent.say(room, f"/claim {number}")
    ack = await agent.expect(room, f"Sie haben Nr. {number} übernommen")
    relation = content(ack)["m.relates_to"]
    assert relation["rel_type"] == "m.thread" and relation["event_id"] == card.event_id
    assert relation["m.in_reply_to"] == {"event_id": card.event_id}  # for thread-less clients
    assert ack.body.startswith("Martin Schneider: ")
    assert f'href="https://matrix.to/#/{agent.user_id}"' in content(ack)["formatted_body"]
    assert content(ack)["m.mentions"] == {"user_ids": [agent.user_id]}
