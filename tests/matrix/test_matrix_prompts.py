"""Prompts on Synapse: a typed rating, a rating given once, a claimed card's ✋ answered.

Repro cases of issue 13 as a Matrix user meets them: each used to start a new request, change
a given rating, or go unanswered."""

from __future__ import annotations

import nio

from storage.models import TicketRow
from tests.matrix.bot_fixture import Chat, react, ticket_number
from tests.matrix.conftest import WorldFactory
from tests.matrix.synapse import SynapseServer
from tests.matrix.test_matrix_hotline import _bot_reacted, claim_and_resolve, file_request
from tests.matrix.world import World


async def _joined_dm(world: World, chat: Chat) -> str:
    """The DM the bot opens with a staff member who never wrote to it: accept it."""
    await chat.sync_until(lambda: bool(chat.client.invited_rooms))
    [room] = list(chat.client.invited_rooms)
    joined = await chat.client.join(room)
    assert isinstance(joined, nio.JoinResponse), joined
    return room


async def test_a_typed_rating_is_stored_and_a_later_reaction_changes_nothing(
    world: World,
) -> None:
    requester, dm = await world.requester("schule")
    number = ticket_number((await file_request(requester, dm)).body)
    await claim_and_resolve(world, requester, dm, number)
    question = await requester.expect(
        dm, f"Wie zufrieden sind Sie mit der Bearbeitung Ihres Anliegens Nr. {number}"
    )

    await requester.say(dm, "4")
    thanks = await requester.expect(dm, "Danke für Ihre Bewertung (4 von 5)")
    assert "Kundengruppe" not in thanks.body
    await requester.say(dm, "Sehr freundlich")
    await requester.expect(dm, "Kommentar ist angekommen")

    # Later, a reaction on the old question: answered as stale, the 4 stays.
    await react(requester.client, dm, question.event_id, "2️⃣")
    stale = await requester.expect(dm, "nicht mehr aktuell")
    assert "bereits mit 4 von 5 bewertet" in stale.body
    await requester.say(dm, f"/status {number}")
    await requester.expect(dm, "erledigt")


async def test_a_second_agent_reacting_on_a_claimed_card_is_told_who_has_it(
    synapse: SynapseServer, worlds: WorldFactory
) -> None:
    world = await worlds(synapse, colleagues={"hh.weber": "weber"})
    requester, dm = await world.requester("schule")
    number = ticket_number((await file_request(requester, dm)).body)
    room, agent, weber = world.team_rooms["haushalt"], world.agent, world.colleagues["hh.weber"]
    card = await agent.expect(room, f"Ticket Nr. {number}")
    await agent.sync_until(lambda: _bot_reacted(world, agent, room, card.event_id, "✋"))
    await react(agent.client, room, card.event_id, "✋")
    await agent.expect(room, "Übernommen von Martin Schneider", edits=True)

    await weber.expect(room, f"Ticket Nr. {number}")  # Weber sees the card, too
    await react(weber.client, room, card.event_id, "✋")
    weber_dm = await _joined_dm(world, weber)
    told = await weber.expect(weber_dm, "nicht mehr aktuell")
    assert f"Nr. {number} hat bereits Martin Schneider übernommen" in told.body
    app = world.bot.app
    assert app is not None
    async with app.sessions() as session:
        ticket = await session.get(TicketRow, number)
    assert ticket is not None and (ticket.status, ticket.assignee) == ("claimed", "hh.schneider")


async def test_a_reaction_on_an_intake_question_answered_long_ago_starts_nothing(
    world: World,
) -> None:
    """Repro: a reaction on an intake question answered 20 minutes ago started a request."""
    requester, dm = await world.requester("schule")
    await requester.say(dm, "Hallo")
    groups = await requester.expect(dm, "Zu welcher Kundengruppe gehören Sie?")
    await requester.sync_until(lambda: _bot_reacted(world, requester, dm, groups.event_id, "1️⃣"))
    number = ticket_number((await file_request(requester, dm, greeted=True)).body)

    await react(requester.client, dm, groups.event_id, "2️⃣")
    stale = await requester.expect(dm, "nicht mehr aktuell")
    assert "Guten Tag" not in stale.body
    await requester.say(dm, f"/status {number}")
    await requester.expect(dm, f"Nr. {number}")
    intake = "Ich leite Ihr Anliegen"  # the intake's greeting (not the DM's welcome)
    greetings = [e for e in requester.notices(dm, world.bot_id) if intake in e.body]
    assert len(greetings) == 1, "the old question's reaction started a new request"
