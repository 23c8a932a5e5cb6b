"""Answers become FAQ entries on Matrix, end to end against Synapse (issue 17): the agent
reacts 📖 on the resolved card, Team BK accepts in its room with the review card's 1️⃣, and
the next requester of the customer group is offered the entry by the intake at once."""

from __future__ import annotations

from tests.matrix.bot_fixture import content, create_room, react, ticket_number, wait_for_join
from tests.matrix.conftest import WorldFactory
from tests.matrix.synapse import SynapseServer
from tests.matrix.test_matrix_hotline import (
    DESCRIPTION,
    _bot_reacted,
    claim_and_resolve,
    file_request,
)


async def test_a_book_reaction_proposes_and_team_bk_accepts(
    synapse: SynapseServer, worlds: WorldFactory
) -> None:
    world = await worlds(synapse, teams=("haushalt", "bk"), colleagues={"bk.yilmaz": "yilmaz"})
    agent, yilmaz = world.agent, world.colleagues["bk.yilmaz"]
    own = await create_room(agent.client, [world.bot_id], direct=True)
    await agent.sync_until(lambda: own in agent.client.rooms)
    await wait_for_join(agent, own, world.bot_id)
    await agent.say(own, "/hilfe")  # the bot knows this DM as the agent's
    await agent.expect(own, "/faq")

    requester, dm = await world.requester("schule")
    number = ticket_number((await file_request(requester, dm)).body)
    await claim_and_resolve(world, requester, dm, number)
    room = world.team_rooms["haushalt"]
    resolved = await agent.expect(room, "Als FAQ vorschlagen", edits=True)
    card = content(resolved)["m.relates_to"]["event_id"]
    await agent.sync_until(lambda: _bot_reacted(world, agent, room, card, "📖"))
    await react(agent.client, room, card, "📖")
    await agent.expect(own, f"FAQ-Vorschlag Nr. 1 aus Ticket Nr. {number} ist beim Team BK")

    bk = world.team_rooms["bk"]
    review = await yilmaz.expect(bk, "FAQ-Vorschlag Nr. 1")
    assert DESCRIPTION in review.body and "Die Mittel sind freigegeben." in review.body
    await yilmaz.sync_until(lambda: _bot_reacted(world, yilmaz, bk, review.event_id, "1️⃣"))
    await react(yilmaz.client, bk, review.event_id, "1️⃣")
    decided = await yilmaz.expect(bk, "Angenommen von", edits=True)
    assert content(decided)["m.relates_to"]["event_id"] == review.event_id  # edited in place

    other, other_dm = await world.requester("mond")
    await other.say(other_dm, "Hallo")
    await other.expect(other_dm, "Zu welcher Kundengruppe gehören Sie?")
    await other.say(other_dm, "1")
    await other.expect(other_dm, "Worum geht es?")
    await other.say(other_dm, "haushalt")
    menu = await other.expect(other_dm, "Ist Ihre Frage dabei?")
    assert DESCRIPTION in menu.body  # the request's words, as Team BK accepted them
