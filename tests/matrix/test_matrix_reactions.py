"""The bot's own reactions on Synapse: encrypted where the room is, and following the card's
buttons (the ✋ goes once the ticket is claimed, and comes back with an unclaim)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import nio

from tests.matrix.bot_fixture import Chat, eventually, react, react_encrypted, ticket_number
from tests.matrix.conftest import WorldFactory
from tests.matrix.synapse import SynapseServer
from tests.matrix.test_matrix_hotline import _bot_reacted, file_request
from tests.matrix.world import World

QUEUED = {"✋", "↪️", "✅"}  # claim, hand off, resolve
CLAIMED = {"↪️", "✅"}


async def bot_annotations(world: World, chat: Chat, room: str, event_id: str) -> list[Any]:
    """The bot's live (not redacted) annotations of `event_id`, raw, as the server keeps
    them (the relation is readable to it even when the reaction is encrypted)."""
    client = chat.client
    path = (
        f"/_matrix/client/v1/rooms/{quote(room)}/relations/{quote(event_id)}/m.annotation?limit=100"
    )
    response = await client.send(
        "GET", path, headers={"Authorization": f"Bearer {client.access_token}"}
    )
    try:
        assert response.status == 200, response.status
        answer: dict[str, Any] = await response.json()
    finally:
        response.release()
    return [e for e in answer["chunk"] if e["sender"] == world.bot_id]


async def wait_for_keys(
    world: World, chat: Chat, room: str, event_id: str, keys: set[str]
) -> list[Any]:
    """Until the bot's reactions on `event_id` are exactly `keys`; those reactions."""
    found: list[Any] = []

    async def exactly() -> bool:
        nonlocal found
        found = await bot_annotations(world, chat, room, event_id)
        return {e["content"]["m.relates_to"]["key"] for e in found} == keys

    await eventually(exactly, within=20, what=f"the bot's reactions are {keys}: {found}")
    return found


async def test_the_hand_goes_with_the_claim_and_comes_back_with_an_unclaim(world: World) -> None:
    requester, dm = await world.requester("schule")
    number = ticket_number((await file_request(requester, dm)).body)
    room, agent = world.team_rooms["haushalt"], world.agent
    card = await agent.expect(room, f"Ticket Nr. {number}")
    plain = await wait_for_keys(world, agent, room, card.event_id, QUEUED)
    assert {e["type"] for e in plain} == {"m.reaction"}  # a plain room: plain reactions

    await react(agent.client, room, card.event_id, "✋")
    await agent.expect(room, "Übernommen von Martin Schneider", edits=True)
    await wait_for_keys(world, agent, room, card.event_id, CLAIMED)

    await agent.say(room, f"/unclaim {number}")
    await agent.expect(room, "bitte übernehmen", edits=True)
    await wait_for_keys(world, agent, room, card.event_id, QUEUED)
    await agent.say(room, f"/resolve {number} Erledigt.")
    await agent.expect(room, "Erledigt von Martin Schneider", edits=True)
    await wait_for_keys(world, agent, room, card.event_id, {"📖"})  # FAQ proposal (issue 17)


async def test_reactions_in_encrypted_rooms_are_encrypted(
    synapse: SynapseServer, worlds: WorldFactory
) -> None:
    world = await worlds(synapse, encrypted_dms=True, encrypted_rooms=True)
    requester, dm = await world.requester("schule", encrypted=True)
    await requester.say(dm, "Hallo")
    question = await requester.expect(dm, "Zu welcher Kundengruppe gehören Sie?")
    await requester.sync_until(lambda: _bot_reacted(world, requester, dm, question.event_id, "1️⃣"))
    in_dm = await bot_annotations(world, requester, dm, question.event_id)
    assert in_dm and {e["type"] for e in in_dm} == {"m.room.encrypted"}
    for event in in_dm:  # the relation stays readable, the rest is ciphertext
        assert set(event["content"]) >= {"ciphertext", "m.relates_to"}
        assert event["content"]["algorithm"] == "m.megolm.v1.aes-sha2"

    number = ticket_number((await file_request(requester, dm, greeted=True)).body)
    room, agent = world.team_rooms["haushalt"], world.agent
    card = await agent.expect(room, f"Ticket Nr. {number}")
    on_card = await wait_for_keys(world, agent, room, card.event_id, QUEUED)
    assert {e["type"] for e in on_card} == {"m.room.encrypted"}
    # The agent's client decrypts them into reactions it can tap.
    await agent.sync_until(lambda: _bot_reacted(world, agent, room, card.event_id, "✋"))
    assert not [
        e
        for e in agent.timeline[room]
        if isinstance(e, nio.MegolmEvent) and e.sender == world.bot_id
    ]
    await agent.client.joined_members(room)  # nio encrypts only for members it knows
    await react_encrypted(agent.client, room, card.event_id, "✋")
    await agent.expect(room, "Übernommen von Martin Schneider", edits=True)
    await wait_for_keys(world, agent, room, card.event_id, CLAIMED)
