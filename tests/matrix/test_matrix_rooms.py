"""Which room hears what, on Synapse: complaints stay out of team rooms, staff commands work
in a DM, other bots' notices are not answered, team rooms may be named by alias."""

from __future__ import annotations

import asyncio
import json

import nio
from sqlalchemy import select

from storage.models import InboundEventRow
from tests.matrix.bot_fixture import (
    create_room,
    is_edit,
    is_notice_from,
    react,
    room_history,
    ticket_number,
    wait_for_join,
)
from tests.matrix.conftest import WorldFactory
from tests.matrix.synapse import SynapseServer
from tests.matrix.test_matrix_hotline import _bot_reacted, file_request
from tests.matrix.world import World, wait_for_outbox

SECRET = "Vertraulich-7f3a: Herr Beispiel war am Telefon unfreundlich"


async def _bot_reader(world: World) -> nio.AsyncClient:
    """A second, read-only client on the bot's account (no encryption, so it neither
    uploads keys nor touches the bot's device state); the caller closes it."""
    config = nio.AsyncClientConfig(encryption_enabled=False, store_sync_tokens=False)
    client = nio.AsyncClient(world.server.base_url, world.bot_id, config=config)
    client.restore_login(world.bot_id, world.bot_user.device_id, world.bot_user.access_token)
    return client


async def _seen(world: World) -> set[str]:
    """The event ids the engine has handled."""
    assert world.bot.app is not None
    async with world.bot.app.sessions() as session:
        return set((await session.scalars(select(InboundEventRow.event_id))).all())


async def test_a_complaint_never_reaches_a_team_room(
    synapse: SynapseServer, worlds: WorldFactory
) -> None:
    world = await worlds(synapse, teams=("haushalt", "bk"), colleagues={"bk.berger": "berger"})
    requester, dm = await world.requester("schule")
    await requester.say(dm, "/beschwerde")
    await requester.expect(dm, "worüber Sie sich beschweren")
    for typed, answer in (
        (SECRET, "anonym bleiben"),
        ("ja", "vertraulich an das Beschwerdemanagement"),
        ("ja", "vertraulich beim Beschwerdemanagement eingegangen"),
    ):
        await requester.say(dm, typed)
        await requester.expect(dm, answer)
    await wait_for_outbox(world.bot, within=30)
    await asyncio.sleep(1.0)

    reader = await _bot_reader(world)
    try:
        joined = await reader.joined_rooms()
        assert isinstance(joined, nio.JoinedRoomsResponse), joined
        holding: set[str] = set()
        for room_id in joined.rooms:
            events = await room_history(reader, room_id)
            if any(SECRET in json.dumps(e.source, ensure_ascii=False) for e in events):
                holding.add(room_id)
    finally:
        await reader.close()
    team_rooms = set(world.team_rooms.values())
    assert team_rooms <= set(joined.rooms), "the bot must be in every team room searched"
    assert dm in holding, "the search must find the complaint where it was written"
    assert not holding & team_rooms, "the complaint's text reached a team room"


async def test_claim_by_command_in_a_dm_with_the_bot(world: World) -> None:
    requester, dm = await world.requester("schule")
    number = ticket_number((await file_request(requester, dm)).body)
    room, agent = world.team_rooms["haushalt"], world.agent
    card = await agent.expect(room, f"Ticket Nr. {number}")
    agent_dm = await create_room(agent.client, [world.bot_id], direct=True)
    await agent.sync_until(lambda: agent_dm in agent.client.rooms)
    await wait_for_join(agent, agent_dm, world.bot_id)

    await agent.say(agent_dm, f"/claim {number}")
    await agent.expect(agent_dm, f"Sie haben Nr. {number} übernommen")
    edit = await agent.expect(room, "Übernommen von Martin Schneider", edits=True)
    assert edit.source["content"]["m.relates_to"]["event_id"] == card.event_id
    await requester.expect(dm, "Martin Schneider")


async def test_another_bots_notice_in_a_team_room_is_not_answered(world: World) -> None:
    room, agent = world.team_rooms["haushalt"], world.agent
    other = await world.chat_for("otherbot")
    invited = await agent.client.room_invite(room, other.user_id)
    assert isinstance(invited, nio.RoomInviteResponse), invited
    await other.sync_until(lambda: room in other.client.invited_rooms)
    assert isinstance(await other.client.join(room), nio.JoinResponse)
    await other.sync_until(lambda: room in other.client.rooms)  # nio sends only there
    await wait_for_join(agent, room, other.user_id)

    sent = await other.client.room_send(
        room, "m.room.message", {"msgtype": "m.notice", "body": "/hilfe"}
    )
    assert isinstance(sent, nio.RoomSendResponse), sent
    control = await other.say(room, "/hilfe")  # the same text as m.text: answered
    await agent.expect(room, "")
    await wait_for_outbox(world.bot, within=30)
    await asyncio.sleep(2.0)  # an answer to the notice would be here by now
    await agent.sync(timeout_ms=0)
    answers = [e for e in agent.timeline[room] if is_notice_from(e, world.bot_id)]
    assert len(answers) == 1, [a.body for a in answers]
    seen = await _seen(world)
    assert control in seen and sent.event_id not in seen


async def test_a_team_room_configured_by_alias(
    synapse: SynapseServer, worlds: WorldFactory
) -> None:
    world = await worlds(synapse, by_alias=True)
    room, agent = world.team_rooms["haushalt"], world.agent
    requester, dm = await world.requester("schule")
    number = ticket_number((await file_request(requester, dm)).body)
    card = await agent.expect(room, f"Ticket Nr. {number}")
    await agent.sync_until(lambda: _bot_reacted(world, agent, room, card.event_id, "✋"))
    await react(agent.client, room, card.event_id, "✋")
    await agent.expect(room, "Übernommen von Martin Schneider", edits=True)
    await requester.expect(dm, "bearbeitet jetzt Ihr Anliegen")

    # After a restart the alias is resolved before the catch-up: what the team wrote
    # meanwhile is read as written in the team room, not as the agent's DM.
    await wait_for_outbox(world.bot, within=30)
    await world.bot.stop()
    await agent.say(room, "/neu")
    await world.bot.start()
    refusal = await agent.expect(room, "direkt", within=30)
    assert "Guten Tag" not in refusal.body
    history = await room_history(agent.client, room)
    posts = [
        e
        for e in history
        if is_notice_from(e, world.bot_id) and not is_edit(e) and "Ticket Nr." in e.body
    ]
    assert [p.event_id for p in posts] == [card.event_id]
