"""An erased ticket's card on Synapse: the post and every edit of it are redacted (an edit
alone keeps the old text readable), and a card without the request's details follows."""

from __future__ import annotations

import nio

from bot.service.privacy import PrivacyService
from tests.matrix.bot_fixture import content, ticket_number
from tests.matrix.test_matrix_hotline import DESCRIPTION, file_request
from tests.matrix.world import World, wait_for_outbox


async def _redacted(chat: nio.AsyncClient, room: str, event_id: str) -> bool:
    """Whether the homeserver serves the event stripped of its content."""
    answer = await chat.room_get_event(room, event_id)
    assert isinstance(answer, nio.RoomGetEventResponse), answer
    unsigned = answer.event.source.get("unsigned", {})
    return "redacted_because" in unsigned and not content(answer.event).get("body")


async def test_erasure_redacts_the_card_and_its_edits(world: World) -> None:
    requester, dm = await world.requester("schule")
    number = ticket_number((await file_request(requester, dm)).body)
    room, agent = world.team_rooms["haushalt"], world.agent
    card = await agent.expect(room, f"Ticket Nr. {number}")
    assert DESCRIPTION in card.body
    await agent.say(room, f"/claim {number}")
    claimed = await agent.expect(room, "Übernommen von", edits=True)
    assert DESCRIPTION in content(claimed)["m.new_content"]["body"]
    await wait_for_outbox(world.bot, within=30)

    app = world.bot.app
    assert app is not None
    privacy = PrivacyService(app.config, app.sessions, world.bot.clock)
    assert (await privacy.erase(user_id=requester.user_id))["cards_retracted"] == 1
    erased = await agent.expect(room, "auf Wunsch der anfragenden Person gelöscht")
    assert f"Ticket Nr. {number}" in erased.body and DESCRIPTION not in erased.body
    await wait_for_outbox(world.bot, within=30)
    assert await _redacted(agent.client, room, card.event_id)
    assert await _redacted(agent.client, room, claimed.event_id)
